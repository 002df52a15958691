/**
 * Validates `@Body/@Query/@Param({ schema })` with Nest's Standard Schema pipe (zod schemas here).
 * A body that parses but breaks the schema is 422 Unprocessable Entity; a bad path or query
 * parameter is 400 Bad Request. Each issue names its field; values are never echoed.
 */
import {
  type ArgumentMetadata,
  BadRequestException,
  HttpException,
  StandardSchemaValidationPipe,
  UnprocessableEntityException,
} from '@nestjs/common';

export class RequestValidationPipe extends StandardSchemaValidationPipe {
  constructor() {
    super({ exceptionFactory: (issues) => issues });
  }

  override async transform<T>(value: T, metadata: ArgumentMetadata): Promise<T> {
    try {
      return await super.transform(value, metadata);
    } catch (thrown) {
      if (thrown instanceof HttpException || !Array.isArray(thrown)) throw thrown;
      const issues = (
        thrown as Array<{ message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }>
      ).map((issue) => ({
        field: (issue.path ?? []).map((s) => String(typeof s === 'object' ? s.key : s)).join('.') || '(root)',
        message: issue.message,
      }));
      const where =
        metadata.type === 'body' ? 'the request body' : metadata.type === 'query' ? 'the query string' : 'the URL';
      const response = {
        message: `Cannot accept ${where} because ${issues.length === 1 ? 'a field is' : `${issues.length} fields are`} invalid: ${issues.map((i) => `${i.field} (${i.message})`).join('; ')}.`,
        issues,
      };
      throw metadata.type === 'body'
        ? new UnprocessableEntityException({ ...response, error: 'Unprocessable Entity', statusCode: 422 })
        : new BadRequestException({ ...response, error: 'Bad Request', statusCode: 400 });
    }
  }
}
