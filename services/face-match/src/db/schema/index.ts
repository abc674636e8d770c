import { pgSchema } from 'drizzle-orm/pg-core';

/** Everything this service stores lives in its own Postgres schema; no other service reads it. */
export const faceMatchSchema = pgSchema('face_match');
