/** The three shapes every gateway serves, over the same subgraphs and the same seeded data. */
export interface Shape {
  label: string;
  query: string;
}

/** One field from one subgraph: what remains is the gateway's own overhead. */
export const TINY: Shape = { label: 'tiny (users)', query: 'query Tiny { me { id } }' };

/** users → finder and chat → users again: three subgraphs, four fetches. */
export const MEDIUM: Shape = {
  label: 'medium (users, chat, finder)',
  query: `query Medium {
  me {
    id
    displayName
    businessProfile { companyName industry }
    conversations(first: 5) {
      edges { node { id unreadCount lastMessage { seq body } participants { id displayName } } }
    }
  }
}`,
};

/** 100 professionals with their users and profiles again: a nested response of about 100 KB. */
export const HEAVY: Shape = {
  label: 'heavy (finder ⇄ users, ~100 KB)',
  query: `query Heavy {
  searchProfessionals(first: 100) {
    edges {
      cursor
      node {
        headline bio specialties hourlyRate currency location remote yearsExperience rating reviewCount createdAt updatedAt
        user {
          id
          displayName
          professionalProfile { headline specialties hourlyRate currency location remote yearsExperience rating reviewCount }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`,
};

export const SHAPES = [TINY, MEDIUM, HEAVY];
