// The shapes the app renders, as the operations it uses select them.

export type Role = 'BUSINESS' | 'PROFESSIONAL' | 'ADMIN';

export interface UserRef {
  id: string;
  displayName: string;
  role?: Role;
}

export interface FileItem {
  id: string;
  name: string;
  mimeType: string;
  size: number;
  status: string;
  downloadUrl?: string | null;
  downloadUrlExpiresAt?: string | null;
}

export interface MessageItem {
  id: string;
  seq: number;
  body: string;
  createdAt: string;
  sender: UserRef;
  attachments: FileItem[];
}

export interface ConversationSummary {
  id: string;
  createdAt: string;
  unreadCount: number;
  participants: UserRef[];
  lastMessage?: { seq: number; body: string; createdAt: string; sender: { id: string } } | null;
}

export interface NotificationItem {
  id: string;
  seq: number;
  kind: string;
  title: string;
  body: string;
  read: boolean;
  createdAt: string;
  engagementRequest?: { id: string } | null;
  conversation?: { id: string } | null;
}
