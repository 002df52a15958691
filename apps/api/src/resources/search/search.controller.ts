import { Controller, Get, Inject, Query } from '@nestjs/common';
import { SearchService } from './search.service.js';
import { searchQuery, type SearchQuery } from '../schemas.js';

/** GET /search?q=&limit=: the active tenant's projects and tasks matching `q`, best first. */
@Controller('search')
export class SearchController {
  constructor(@Inject(SearchService) private readonly search: SearchService) {}

  @Get()
  find(@Query({ schema: searchQuery }) query: SearchQuery) {
    return this.search.find(query);
  }
}
