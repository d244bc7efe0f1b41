/**
 * What route files share with the server that mounts them, kept apart from app.ts so that the
 * server may import every route file and no route file imports the server.
 */
export const API_PREFIX = '/api/v1';
