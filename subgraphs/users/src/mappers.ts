/** A reference to a File entity owned by the files subgraph. */
export interface FileReference {
  __typename: 'File';
  id: string;
}
