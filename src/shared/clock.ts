/** Time comes in as a function so tests and `--now` can move it. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

export function toIso(date: Date): string {
  return date.toISOString();
}
