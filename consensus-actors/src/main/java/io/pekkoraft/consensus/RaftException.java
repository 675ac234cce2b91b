package io.pekkoraft.consensus;

/**
 * How a {@link RaftGroup} request fails. Each subclass is an operational condition, not a bug; whether a
 * retry is safe depends on which one (see each).
 */
public abstract class RaftException extends RuntimeException {

  private RaftException(String message) {
    super(message);
  }

  private RaftException(String message, Throwable cause) {
    super(message, cause);
  }

  /** No leader could be reached before the deadline; the command was not applied. Safe to retry. */
  public static final class NotLeader extends RaftException {
    private final String leaderId;

    public NotLeader(String leaderId) {
      super(leaderId == null ? "no leader is known" : "not the leader; the leader is " + leaderId);
      this.leaderId = leaderId;
    }

    /** The leader's member id when known, else null. */
    public String leaderId() {
      return leaderId;
    }
  }

  /** No answer in time, or leadership changed after the command was accepted: the outcome is unknown. */
  public static final class Timeout extends RaftException {
    public Timeout(String message) {
      super(message);
    }
  }

  /** The leader lost its quorum: a command's outcome is unknown, a query was not served. */
  public static final class NoQuorum extends RaftException {
    public NoQuorum(String message) {
      super(message);
    }
  }

  /** The request was invalid (too large, not deserializable, the leader overloaded). Not applied. */
  public static final class Rejected extends RaftException {
    public Rejected(String message) {
      super(message);
    }

    public Rejected(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * The command was committed, and the state machine refused it ({@link StateMachine#apply} threw): every
   * replica refused it alike and left its state unchanged. Retrying it does not help: it would fail again.
   */
  public static final class CommandFailed extends RaftException {
    private final long index;

    public CommandFailed(String message, long index) {
      super(message);
      this.index = index;
    }

    /** The log index at which the refused command was committed. */
    public long index() {
      return index;
    }
  }

  /**
   * A bounded STALE read ({@link ReadOptions#staleWithin}, {@link ReadOptions#staleFrom}) was refused: the
   * node asked is further behind than the read allows. Not served; retry later or on another node.
   */
  public static final class TooStale extends RaftException {
    private final long appliedIndex;
    private final long entriesBehind;

    public TooStale(String message, long appliedIndex, long entriesBehind) {
      super(message);
      this.appliedIndex = appliedIndex;
      this.entriesBehind = entriesBehind;
    }

    /** How far the node had applied. */
    public long appliedIndex() {
      return appliedIndex;
    }

    /** How many entries it was short of what the read asked for. */
    public long entriesBehind() {
      return entriesBehind;
    }
  }

  /**
   * The local server of the group has stopped (a journal failure, a broken invariant, its ActorSystem
   * terminating): the request was not sent, so not applied. Only a restart of the member brings it back.
   */
  public static final class ServerStopped extends RaftException {
    public ServerStopped(String message) {
      super(message);
    }
  }

  /**
   * The command's client session expired (no entry of it in the log for pekko-raft.session.ttl of log time)
   * or was evicted, while the command was being retried after an answer that left its outcome unknown: it was
   * applied at most once, but whether it was cannot be told. The client opens a new session for its next
   * commands. A command that was surely not applied is sent again in the new session instead.
   */
  public static final class SessionExpired extends RaftException {
    public SessionExpired(String message) {
      super(message);
    }
  }

  /**
   * A watch ({@link RaftGroup#watchApplied}) asked for, or fell behind to, an index before the oldest one this
   * member still holds: it keeps the latest {@code pekko-raft.watch.buffer-entries} applied commands in
   * memory, and none before a snapshot it restored (at start, or installed from the leader). Nothing was
   * skipped silently: the watch ends here. Another member may still hold the index (watch there), or resume
   * from {@link #firstAvailableIndex()} knowing that the commands before it are not seen.
   */
  public static final class WatchFromTooOld extends RaftException {
    private final long requestedIndex;
    private final long firstAvailableIndex;

    public WatchFromTooOld(String message, long requestedIndex, long firstAvailableIndex) {
      super(message);
      this.requestedIndex = requestedIndex;
      this.firstAvailableIndex = firstAvailableIndex;
    }

    /** The index the watch needed next. */
    public long requestedIndex() {
      return requestedIndex;
    }

    /** The lowest index from which this member holds every applied command. */
    public long firstAvailableIndex() {
      return firstAvailableIndex;
    }
  }
}
