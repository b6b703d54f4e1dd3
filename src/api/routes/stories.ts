import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../app.js';
import { notFound } from '../errors.js';
import { presentStory } from '../present.js';
import { problemResponses } from '../schemas/common.js';
import { StoriesQuerySchema, StoryIdParamsSchema, StoryListSchema, StorySchema, type StoryList } from '../schemas/stories.js';
import { badParameter, createStoryFinder, type StoryFinder } from '../story-filter.js';

export const LIST_CACHE = 'public, max-age=60';
export const STORY_CACHE = 'public, max-age=300';

/** The URL of the next page: the request's own query with the cursor swapped. */
export function nextPageUrl(request: FastifyRequest, nextCursor: string): string {
  const [path, search = ''] = request.url.split('?', 2) as [string, string?];
  const params = new URLSearchParams(search);
  params.set('cursor', nextCursor);
  return `${path}?${params.toString()}`;
}

export const storyRoutes = (deps: AppDeps, finder: StoryFinder = createStoryFinder(deps.db, deps.tagger)): FastifyPluginAsync => async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/', {
    config: { cacheControl: LIST_CACHE },
    schema: {
      summary: 'Stories, newest first (or by relevance to q), filtered by company, theme, source, kind, text and time',
      tags: ['stories'],
      querystring: StoriesQuerySchema,
      response: { 200: StoryListSchema, ...problemResponses },
    },
  }, async (request, reply) => {
    const page = finder.findJson(request.query);
    if (page.nextCursor) reply.header('link', `<${nextPageUrl(request, page.nextCursor)}>; rel="next"`);
    // Pre-serialized: SQLite wrote each story's JSON (the StoryList schema above still documents it, and
    // a test holds this output to presentStory's). Building, checking and serializing 50 objects in
    // JavaScript was most of the request's time.
    const body = `{"stories":[${page.json.join(',')}],"nextCursor":${JSON.stringify(page.nextCursor)}}`;
    return reply.type('application/json; charset=utf-8').send(body as unknown as StoryList);
  });

  r.get('/:id', {
    config: { cacheControl: STORY_CACHE },
    schema: {
      summary: 'One story, with its content',
      tags: ['stories'],
      params: StoryIdParamsSchema,
      querystring: z.strictObject({}),
      response: { 200: StorySchema, ...problemResponses },
    },
  }, async (request) => {
    const id = Number(request.params.id);
    if (!Number.isSafeInteger(id)) throw badParameter('id', `id: ${request.params.id} is not a story id`, 'params');
    const row = finder.getStory(id);
    if (!row) throw notFound('STORY_NOT_FOUND', `story ${request.params.id}`);
    return presentStory(row, true);
  });
};
