'use client';
/**
 * Marks <html data-hydrated> once React has hydrated the page, so browser tests know forms and the
 * tenant switcher are interactive before they use them (a click before hydration does nothing).
 */
import { useEffect } from 'react';

export function HydrationMarker() {
  useEffect(() => {
    document.documentElement.dataset.hydrated = 'true';
  }, []);
  return null;
}
