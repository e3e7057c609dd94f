import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { client } from '../client.ts';
import { Attachments } from '../components/attachment.tsx';
import { ProblemMessage } from '../components/problem.tsx';
import { describeError, NotFound, type Problem } from '../errors.ts';
import { bytes, initials, time } from '../format.ts';
import { useLoad, useSession } from '../hooks.ts';
import { conversations } from '../live.ts';
import {
  ConversationDocument,
  MarkReadDocument,
  MessageAddedDocument,
  MessagesDocument,
  SendMessageDocument,
  SetTypingDocument,
  TypingDocument,
} from '../operations.ts';
import type { FileItem, MessageItem } from '../types.ts';
import { isImage, makeThumbnail, uploadFile, type ConversionState } from '../upload.ts';

/** How often the composer tells the others "still typing" (the API allows 5 a second). */
const TYPING_EVERY_MS = 2500;
/** After this long without keystrokes (or a typing event from someone), typing stops. */
const TYPING_IDLE_MS = 4000;

interface PendingFile {
  file: FileItem | null;
  localName: string;
  size: number;
  conversion: ConversionState | null;
  /** Every conversion state seen, in order: what the person watched happen. */
  steps: string[];
  thumbnail: FileItem | null;
  problem?: Problem;
}

const stepLabel = (c: ConversionState) =>
  c.status === 'RUNNING' ? `${Math.round(c.progress * 100)}%` : c.status === 'DONE' ? 'done' : c.status === 'FAILED' ? 'failed' : 'queued';

export function Conversation({ id }: { id: string }) {
  const session = useSession();
  const me = session?.userId;
  const loaded = useLoad(async () => {
    const [summary, page] = await Promise.all([
      client.request(ConversationDocument, { id }),
      client.request(MessagesDocument, { conversationId: id, last: 50 }),
    ]);
    if (!summary.conversation || !page.conversation) throw new NotFound(id);
    return { ...summary.conversation, messages: page.conversation.messages };
  }, [id]);
  // Keyed by seq: the initial page, our own sends and the live stream may all carry one message.
  const [bySeq, setBySeq] = useState<Map<number, MessageItem>>(new Map());
  const [firstUnread, setFirstUnread] = useState<number | null>(null);
  const [typers, setTypers] = useState<Record<string, { name: string; until: number }>>({});
  const [draft, setDraft] = useState('');
  const [pending, setPending] = useState<PendingFile | null>(null);
  const [problem, setProblem] = useState<Problem | undefined>();
  const listRef = useRef<HTMLOListElement>(null);
  const typingSent = useRef({ at: 0, idle: 0 as unknown as ReturnType<typeof setTimeout> });

  const add = (messages: MessageItem[]) =>
    setBySeq((prev) => {
      if (messages.every((m) => prev.has(m.seq))) return prev;
      const next = new Map(prev);
      for (const m of messages) next.set(m.seq, m);
      return next;
    });

  // Initial page, then messageAdded after its newest seq. The SDK resumes from the last delivered
  // seq after any reconnect, and `add` ignores a seq already shown.
  const conversation = loaded.data;
  useEffect(() => {
    if (!conversation) return;
    const initial = conversation.messages.edges.map((e) => e.node);
    setBySeq(new Map(initial.map((m) => [m.seq, m])));
    const newest = initial.reduce((max, m) => Math.max(max, m.seq), 0);
    setFirstUnread(conversation.unreadCount > 0 ? newest - conversation.unreadCount + 1 : null);
    const stopMessages = client.subscribe(MessageAddedDocument, { conversationId: id, after: newest }, {
      next: ({ messageAdded }) => {
        add([messageAdded]);
        setTypers((t) => {
          const { [messageAdded.sender.id]: _gone, ...rest } = t;
          return rest;
        });
      },
      error: (err) => setProblem(describeError(err)),
    });
    const stopTyping = client.subscribe(TypingDocument, { conversationId: id }, {
      next: ({ typing: e }) => {
        if (e.user.id === me) return;
        setTypers((t) => {
          const { [e.user.id]: _old, ...rest } = t;
          return e.typing ? { ...rest, [e.user.id]: { name: e.user.displayName, until: Date.now() + TYPING_IDLE_MS + 2000 } } : rest;
        });
      },
    });
    return () => {
      stopMessages();
      stopTyping();
    };
  }, [conversation, id, me]);

  // Typing indicators lapse on their own if the "stopped" event never comes.
  useEffect(() => {
    const names = Object.values(typers);
    if (names.length === 0) return;
    const next = Math.min(...names.map((t) => t.until)) - Date.now();
    const timer = setTimeout(() => setTypers((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v.until > Date.now()))), Math.max(next, 50));
    return () => clearTimeout(timer);
  }, [typers]);

  const messages = useMemo(() => [...bySeq.values()].sort((a, b) => a.seq - b.seq), [bySeq]);
  const newestSeq = messages.at(-1)?.seq ?? 0;

  // Read what is on screen: mark read up to the newest seq while the page is visible.
  useEffect(() => {
    if (!newestSeq) return;
    const mark = () => {
      if (document.visibilityState !== 'visible') return;
      void client.request(MarkReadDocument, { conversationId: id, upToSeq: newestSeq }).then(
        () => conversations.set((s) => ({ ...s, list: s.list.map((c) => (c.id === id ? { ...c, unreadCount: 0 } : c)) })),
        () => undefined,
      );
    };
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [id, newestSeq]);

  useEffect(() => {
    listRef.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [newestSeq]);

  const setTyping = (typing: boolean) => {
    void client.request(SetTypingDocument, { conversationId: id, typing }).catch(() => undefined);
  };
  const onDraft = (value: string) => {
    setDraft(value);
    const t = typingSent.current;
    clearTimeout(t.idle);
    if (!value) {
      if (t.at) setTyping(false);
      t.at = 0;
      return;
    }
    if (Date.now() - t.at > TYPING_EVERY_MS) {
      t.at = Date.now();
      setTyping(true);
    }
    t.idle = setTimeout(() => {
      t.at = 0;
      setTyping(false);
    }, TYPING_IDLE_MS);
  };

  const attach = async (file: File) => {
    const entry: PendingFile = { file: null, localName: file.name, size: file.size, conversion: null, steps: [], thumbnail: null };
    setPending(entry);
    try {
      const stored = await uploadFile(file);
      setPending((p) => p && { ...p, file: stored });
      if (!isImage(stored)) return;
      await makeThumbnail(stored.id, (c) =>
        setPending((p) => {
          if (!p || p.file?.id !== stored.id) return p;
          return { ...p, conversion: c, steps: [...p.steps, stepLabel(c)], thumbnail: c.status === 'DONE' ? (c.output ?? null) : p.thumbnail };
        }),
      );
    } catch (err) {
      setPending((p) => p && { ...p, problem: describeError(err) });
    }
  };

  const converting = pending?.conversion && pending.conversion.status !== 'DONE' && pending.conversion.status !== 'FAILED';
  const canSend = draft.trim() !== '' || (pending?.file && !converting);

  // The draft is taken at once, so what is typed while a send is in flight is the next message,
  // never cleared by the earlier one's answer; a failed send puts its text back if the box is empty.
  const send = async () => {
    if (!canSend) return;
    const body = draft.trim() || (pending?.file?.name ?? '');
    const attachment = pending;
    const attachmentIds = attachment?.file ? [attachment.file.id, ...(attachment.thumbnail ? [attachment.thumbnail.id] : [])] : undefined;
    setDraft('');
    setPending(null);
    setProblem(undefined);
    clearTimeout(typingSent.current.idle);
    if (typingSent.current.at) setTyping(false);
    typingSent.current.at = 0;
    try {
      const { sendMessage } = await client.request(SendMessageDocument, { input: { conversationId: id, body, attachmentIds } });
      add([sendMessage]);
    } catch (err) {
      setProblem(describeError(err));
      setDraft((current) => (current === '' ? body : current));
      setPending((current) => current ?? attachment);
    }
  };

  if (loaded.problem) {
    return (
      <main class="narrow">
        <h1>Conversation</h1>
        <ProblemMessage problem={loaded.problem} />
      </main>
    );
  }
  if (!conversation) return <main class="narrow muted">Loading…</main>;
  const others = conversation.participants.filter((p) => p.id !== me);
  const typingNames = Object.values(typers).map((t) => t.name);
  return (
    <main class="chat">
      <h1>{others.map((p) => p.displayName).join(', ')}</h1>
      <ol class="messages" ref={listRef} data-testid="messages">
        {messages.length === 0 && <li class="muted empty">No messages yet. Say hello!</li>}
        {messages.map((m) => (
          <>
            {m.seq === firstUnread && (
              <li class="divider" key={`new-${m.seq}`}>
                New messages
              </li>
            )}
            <li key={m.seq} class={`message${m.sender.id === me ? ' mine' : ''}`} data-seq={m.seq} data-testid="message">
              {m.sender.id !== me && <span class="avatar">{initials(m.sender.displayName)}</span>}
              <div class="bubble">
                <p class="body">{m.body}</p>
                <Attachments files={m.attachments} />
                <span class="meta">
                  {time(m.createdAt)}
                  {m.sender.id === me && ' · sent'}
                </span>
              </div>
            </li>
          </>
        ))}
      </ol>
      <p class="typing" data-testid="typing" aria-live="polite">
        {typingNames.length > 0 && `${typingNames.join(', ')} ${typingNames.length === 1 ? 'is' : 'are'} typing…`}
      </p>
      {pending && (
        <div class="pending card" data-testid="pending-file">
          <div>
            <strong>{pending.localName}</strong> <span class="muted">{bytes(pending.size)}</span>
            {!pending.file && !pending.problem && <span class="muted"> · uploading…</span>}
          </div>
          {pending.conversion && (
            <div class="conversion" data-testid="conversion" data-status={pending.conversion.status}>
              <progress max={1} value={pending.conversion.progress} />
              <span>
                Thumbnail: <span data-testid="conversion-steps">{pending.steps.join(' → ')}</span>
              </span>
            </div>
          )}
          {pending.thumbnail?.downloadUrl && <img class="thumbnail" src={pending.thumbnail.downloadUrl} alt="Thumbnail preview" />}
          <ProblemMessage problem={pending.problem} />
          <button class="link" onClick={() => setPending(null)}>
            Remove
          </button>
        </div>
      )}
      <ProblemMessage problem={problem} />
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <label class="attach" title="Attach a file">
          Attach
          <input
            type="file"
            name="file"
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              e.currentTarget.value = '';
              if (file) void attach(file);
            }}
          />
        </label>
        <textarea
          name="body"
          rows={1}
          placeholder="Write a message"
          value={draft}
          onInput={(e) => onDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              void send();
            }
          }}
        />
        <button type="submit" disabled={!canSend}>
          Send
        </button>
      </form>
    </main>
  );
}
