package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.persistence.serialization.KryoCodec;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The client sessions, as the log made them (Raft thesis §6.3): which (session, sequence) were applied,
 * and the first answer of each one whose answer the client has not confirmed receiving. Every replica
 * builds the same table, since it changes only by applying entries in log order, with log time; it
 * travels in the state machine snapshots and is rebuilt after them by replaying the log.
 *
 * <p>The rules, for a command (session s, sequence q, acknowledged a):
 * <ul>
 *   <li>s unknown (expired, evicted, never opened): SessionExpired, not applied;
 *   <li>answers of s up to a are dropped (the client has them);
 *   <li>q answered before: that first answer, not applied again;
 *   <li>q at or below s's highest acknowledged sequence: refused, not applied (its answer was received);
 *   <li>s already keeps max-cached-results answers: s ends (SessionExpired), q not applied. The clients
 *       never send more commands at once than that bound, so only a client configured otherwise meets it;
 *   <li>else applied, and its answer kept.
 * </ul>
 * A session expires when the log time of an entry is more than its ttl past the session's last entry.
 * Sessions are kept least recently active first, so expiry and eviction look at the head only (a session
 * with a longer ttl at the head delays the expiry of those behind it: late, never early).
 */
final class SessionTable {

  private static final int VERSION = 1;

  private static final class Session {
    final long id;
    final long ttlMs;
    final int cachedResultsMax;
    long lastActive;
    long acked;
    final TreeMap<Long, ClientReply> results = new TreeMap<>();

    Session(long id, long ttlMs, int cachedResultsMax, long lastActive) {
      this.id = id;
      this.ttlMs = ttlMs;
      this.cachedResultsMax = cachedResultsMax;
      this.lastActive = lastActive;
    }
  }

  /**
   * Access order is activity order: a session moves to the end whenever it is active, by a {@code get}
   * (which relinks its node: no allocation per command), and a new one enters at the end. Only
   * {@link #touch} and {@link #applied} (right after a touch of the same session) look one up with get.
   */
  private final LinkedHashMap<Long, Session> sessions = new LinkedHashMap<>(16, 0.75f, true);
  /** Log time: the latest time of the entries applied, never back. */
  private long now;

  long now() {
    return now;
  }

  int size() {
    return sessions.size();
  }

  boolean isOpen(long sessionId) {
    return sessions.containsKey(sessionId);
  }

  /** The next entry has log time {@code time} (0: unstamped, takes the current one); expires idle sessions. */
  void advance(long time) {
    now = Math.max(now, time);
    Iterator<Session> it = sessions.values().iterator();
    while (it.hasNext()) {
      Session s = it.next();
      if (now - s.lastActive <= s.ttlMs) break;
      it.remove();
    }
  }

  /** Opens session {@code id} (the index of its entry); evicts the least recently active ones at the bound. */
  void open(long id, SessionEntries.Limits limits) {
    Iterator<Session> it = sessions.values().iterator();
    while (sessions.size() >= limits.sessionsMax() && it.hasNext()) {
      it.next();
      it.remove();
    }
    sessions.put(id, new Session(id, limits.ttlMs(), limits.cachedResultsMax(), now));
  }

  /** A keep-alive of {@code sessionId}: false when it is no longer open. */
  boolean keepAlive(long sessionId) {
    return touch(sessionId) != null;
  }

  private Session touch(long sessionId) {
    Session s = sessions.get(sessionId); // now the most recently active
    if (s == null) return null;
    s.lastActive = now;
    return s;
  }

  /**
   * What to answer {@code c} without applying it, or null when it must be applied now (then
   * {@link #applied} records its answer).
   */
  ClientReply beforeApply(SessionEntries.SessionCommand c) {
    Session s = touch(c.sessionId());
    if (s == null) {
      return new ClientReply.SessionExpired(c.sessionId(), "session " + c.sessionId()
          + " expired or is unknown; command " + c.sequence() + " was not applied");
    }
    if (c.ackedSequence() > s.acked) {
      s.acked = c.ackedSequence();
      s.results.headMap(s.acked, true).clear();
    }
    ClientReply first = s.results.get(c.sequence());
    if (first != null) return first;
    if (c.sequence() <= s.acked) {
      return new ClientReply.Rejected("command " + c.sequence() + " of session " + c.sessionId()
          + " was answered and acknowledged already; not applied again");
    }
    if (s.results.size() >= s.cachedResultsMax) {
      // Refusing only this command would not do: another copy of it, sent before the client heard of the
      // refusal, could be applied later, after the client was told "not applied". Ending the session makes
      // every later copy of every command of it SessionExpired.
      sessions.remove(c.sessionId());
      return new ClientReply.SessionExpired(c.sessionId(), "session " + c.sessionId() + " ended: it holds "
          + s.results.size() + " answers its client has not acknowledged"
          + " (pekko-raft.session.max-cached-results-per-session); command " + c.sequence() + " was not applied");
    }
    return null;
  }

  /** Keeps the first answer of {@code c}, applied just now. */
  void applied(SessionEntries.SessionCommand c, ClientReply answer) {
    Session s = sessions.get(c.sessionId());
    if (s == null) throw new IllegalStateException("applied a command of session " + c.sessionId() + ", not open");
    s.results.put(c.sequence(), answer);
  }

  // ---- in snapshots ----

  void writeTo(DataOutput out, KryoCodec codec) throws IOException {
    out.writeInt(VERSION);
    out.writeLong(now);
    out.writeInt(sessions.size());
    for (Session s : sessions.values()) {
      out.writeLong(s.id);
      out.writeLong(s.ttlMs);
      out.writeInt(s.cachedResultsMax);
      out.writeLong(s.lastActive);
      out.writeLong(s.acked);
      out.writeInt(s.results.size());
      for (Map.Entry<Long, ClientReply> r : s.results.entrySet()) {
        out.writeLong(r.getKey());
        byte[] bytes = codec.toBytes(r.getValue());
        out.writeInt(bytes.length);
        out.write(bytes);
      }
    }
  }

  /** Replaces this table by the one {@link #writeTo} wrote. */
  void readFrom(DataInput in, KryoCodec codec) throws IOException {
    int version = in.readInt();
    if (version != VERSION) throw new IOException("session table version " + version + ", expected " + VERSION);
    sessions.clear();
    now = in.readLong();
    int count = in.readInt();
    for (int i = 0; i < count; i++) {
      Session s = new Session(in.readLong(), in.readLong(), in.readInt(), in.readLong());
      s.acked = in.readLong();
      int results = in.readInt();
      for (int j = 0; j < results; j++) {
        long sequence = in.readLong();
        int length = in.readInt();
        if (length < 0 || length > 1 << 30) throw new IOException("cached answer of " + length + " bytes");
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        s.results.put(sequence, (ClientReply) codec.fromBytes(bytes));
      }
      sessions.put(s.id, s);
    }
  }

  /** Reads past a table that {@link #writeTo} wrote, keeping nothing of it. */
  static void skip(DataInput in) throws IOException {
    int version = in.readInt();
    if (version != VERSION) throw new IOException("session table version " + version + ", expected " + VERSION);
    in.readLong();
    int count = in.readInt();
    byte[] scratch = new byte[8192];
    for (int i = 0; i < count; i++) {
      in.readLong();
      in.readLong();
      in.readInt();
      in.readLong();
      in.readLong();
      int results = in.readInt();
      for (int j = 0; j < results; j++) {
        in.readLong();
        int length = in.readInt();
        if (length < 0 || length > 1 << 30) throw new IOException("cached answer of " + length + " bytes");
        while (length > 0) {
          int n = Math.min(length, scratch.length);
          in.readFully(scratch, 0, n);
          length -= n;
        }
      }
    }
  }

  void clear() {
    sessions.clear();
    now = 0;
  }
}
