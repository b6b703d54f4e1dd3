import type { Db } from '../../src/db/open.js';
import { createSubscriptionStore, type SubscriptionRow } from '../../src/db/subscriptions.js';
import { newSubscription, type SubscriptionInput } from '../../src/digests/index.js';

/**
 * Stores a subscription as the API would create it. Defaults: "Nvidia daily", company nvidia, every day
 * at 08:00 UTC, 20 stories, no channel; created 2025-01-01T12:00Z, so the first digest is due on the 2nd.
 */
export function insertSubscription(db: Db, input: Partial<SubscriptionInput> = {}, createdAt = new Date('2025-01-01T12:00:00Z')): SubscriptionRow {
  const row = newSubscription(
    {
      name: 'Nvidia daily',
      filter: { companies: ['nvidia'], themes: [], sources: [], kinds: [], q: null },
      filterMatch: null,
      schedule: { every: 'daily', time: '08:00', timezone: 'UTC' },
      maxStories: 20,
      sendEmpty: null,
      webhookUrl: null,
      webhookSecret: null,
      email: null,
      enabled: true,
      ...input,
    },
    createdAt,
  );
  createSubscriptionStore(db).insertSubscription(row);
  return row;
}
