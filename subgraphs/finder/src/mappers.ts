/** A reference to a User entity owned by the users subgraph; finder knows only the id. */
export interface UserReference {
  __typename?: 'User';
  id: string;
}

export const userRef = (id: string): UserReference => ({ __typename: 'User', id });
