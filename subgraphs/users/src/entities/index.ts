import { SessionSchema } from './session.entity.ts';
import { UserSchema } from './user.entity.ts';

export const entities = [UserSchema, SessionSchema];
export { SessionSchema, UserSchema };
export type { SessionEntity } from './session.entity.ts';
export type { UserEntity } from './user.entity.ts';
