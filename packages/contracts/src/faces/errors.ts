/** The face-match service's codes and their statuses. */
export const FaceErrors = {
  /** Also what another owner's identity looks like: libraries are private. */
  IDENTITY_NOT_FOUND: 404,
  /** A photo to enrol shows no face (`rejected[].code`), or a search photo shows none (still 200, `faces: []`). */
  NO_FACE: 422,
  /** A photo to enrol shows more than one face: which one is meant? */
  MULTIPLE_FACES: 422,
} as const;
