import { z } from 'zod';

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    code: z.string().describe('Stable error code, e.g. VALIDATION_FAILED, STORY_NOT_FOUND'),
    errors: z.array(z.object({ parameter: z.string(), detail: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

/** The error answers every route may give, for the OpenAPI document. */
export const problemResponses = {
  400: ProblemSchema,
  404: ProblemSchema,
  429: ProblemSchema,
} as const;

export const writeProblemResponses = {
  ...problemResponses,
  401: ProblemSchema,
  403: ProblemSchema,
  409: ProblemSchema,
} as const;
