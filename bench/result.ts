/** One figure of `npm run bench`: printed in the table and written to the JSON report. */
export interface Result {
  name: string;
  value: number;
  unit: string;
  target?: string;
  detail?: Record<string, unknown>;
}
