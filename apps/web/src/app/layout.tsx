import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { HydrationMarker } from '@/components/hydration-marker';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Tenantry', template: '%s · Tenantry' },
  description: 'Workspaces, projects and tasks, isolated per tenant by Postgres row-level security.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        {children}
        <HydrationMarker />
      </body>
    </html>
  );
}
