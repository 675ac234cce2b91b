package io.pekkoraft.samples.lock;

import io.pekkoraft.consensus.AppliedEntry;
import io.pekkoraft.consensus.StateMachine;

/**
 * A replicated lock with leases and fencing tokens: every node of the group holds one and applies the same
 * commands in the same order, so all of them agree on who holds the lock, with which token, until when.
 *
 * <ul>
 *   <li>{@link Acquire}{@code (owner, leaseMillis)}: when the lock is free (never taken, released, or its
 *       holder's lease has passed), {@code owner} gets it, answered {@link Acquired} with a <b>fencing token</b>:
 *       the log index of the acquisition. Every later acquisition sits later in the log, so tokens strictly
 *       increase. Otherwise {@link Busy}, with the holder and the log time its lease ends. The lock is not
 *       reentrant: its holder renews instead.
 *   <li>{@link Renew}{@code (owner, token)}: the holder extends its lease by its lease time from now, answered
 *       {@link Renewed}.
 *   <li>{@link Release}{@code (owner, token)}: the holder frees the lock, answered {@link Released}.
 * </ul>
 *
 * A renew or release that is not the holder's, with the token of the current holding, before its lease ends, is
 * answered {@link Refused} with its {@link Reason}: {@code EXPIRED} (the lease passed, the lock is free for
 * anyone), {@code SUPERSEDED} (someone acquired it since, with a higher token), {@code RELEASED}, or
 * {@code NOT_HOLDER} (another owner's token, or a token no acquisition gave).
 *
 * <p><b>Time is log time.</b> "Now" is the log time of the command being applied ({@link AppliedEntry}): the
 * time the leader stamped on its entry, the same on every replica, on a replay after a restart and after a
 * snapshot. The clock of the node applying is never read: replicas apply at different moments (a follower
 * catching up applies seconds late), and the state of each must not depend on when, or two replicas would
 * disagree on whether a lease had passed, and so on who holds the lock. A lease thus ends on the leader's
 * clock, as the log sees it; a client cannot know exactly when (its own clock and pauses differ), which is why
 * the resource it protects checks the fencing token ({@link FencedStorage}) rather than trusting the client to
 * know it still holds the lock.
 *
 * <p>An acquisition refuses to run on an entry without log time (one written before log time existed), without
 * an owner or with a lease that is not positive: {@code IllegalArgumentException}, the state unchanged, which
 * the client gets as {@code CommandFailed}.
 */
public final class LockStateMachine implements StateMachine<LockStateMachine.LockCommand, LockStateMachine.GetLock,
    LockStateMachine.LockResult> {

  /** What changes the lock. */
  public sealed interface LockCommand permits Acquire, Renew, Release {}

  /** Take the lock for {@code leaseMillis} of log time, if it is free. */
  public record Acquire(String owner, long leaseMillis) implements LockCommand {}

  /** Extend the holding that {@code token} names by its lease time, from now. */
  public record Renew(String owner, long token) implements LockCommand {}

  /** Free the lock that {@code token} names. */
  public record Release(String owner, long token) implements LockCommand {}

  /** Reads who holds the lock, as of the last command applied. */
  public enum GetLock {
    INSTANCE
  }

  /** What a command or the query answers. */
  public sealed interface LockResult permits Acquired, Busy, Renewed, Released, Refused, LockState {}

  /** {@code owner} holds the lock with fencing {@code token} until log time {@code expiresAtMillis}. */
  public record Acquired(String owner, long token, long expiresAtMillis) implements LockResult {}

  /** The lock is held by {@code holder} until log time {@code expiresAtMillis}: not acquired. */
  public record Busy(String holder, long expiresAtMillis) implements LockResult {}

  /** {@code owner} still holds the lock with {@code token}, now until log time {@code expiresAtMillis}. */
  public record Renewed(String owner, long token, long expiresAtMillis) implements LockResult {}

  /** {@code owner} released the lock it held with {@code token}. */
  public record Released(String owner, long token) implements LockResult {}

  /** A renew or release that is refused, and why; nothing changed. */
  public record Refused(String owner, long token, Reason reason, String detail) implements LockResult {}

  /** Why a renew or release is refused. */
  public enum Reason {
    /** The holding's lease passed in log time: the lock is free, and the token fences nothing anymore. */
    EXPIRED,
    /** The lock was acquired since, with a higher token. */
    SUPERSEDED,
    /** The holding was released. */
    RELEASED,
    /** The token is another owner's, or no acquisition gave it. */
    NOT_HOLDER
  }

  /**
   * The whole state, also the query's answer and the snapshot: the latest acquisition ({@code holder}, its
   * {@code token}, lease time and end; {@code holder} is empty when released or never acquired, the token
   * stays) and the log time of the last command applied. {@link #heldAt} says whether a lease holds at a time.
   */
  public record LockState(String holder, long token, long leaseMillis, long expiresAtMillis, long logTimeMillis)
      implements LockResult {

    static final LockState FREE = new LockState("", 0, 0, 0, 0);

    /** Whether someone holds the lock at log time {@code now}: acquired, not released, its lease not passed. */
    public boolean heldAt(long now) {
      return !holder.isEmpty() && now < expiresAtMillis;
    }

    LockState at(long now) {
      return new LockState(holder, token, leaseMillis, expiresAtMillis, now);
    }
  }

  private LockState state = LockState.FREE;

  /** Never called by the runner, which applies every command with its entry; the lock needs its index and time. */
  @Override
  public LockResult apply(LockCommand command) {
    throw new UnsupportedOperationException("the lock applies a command only with its log entry (index and log time)");
  }

  @Override
  public LockResult apply(LockCommand command, AppliedEntry entry) {
    long now = entry.logTimeMillis();
    if (now < state.logTimeMillis()) {
      // log time never goes backwards along the log; if it did, leases could come back to life
      throw new AssertionError("log time went backwards: " + entry + " after log time " + state.logTimeMillis());
    }
    LockResult result;
    if (command instanceof Acquire a) result = acquire(a, entry);
    else if (command instanceof Renew r) result = renew(r, now);
    else if (command instanceof Release r) result = release(r, now);
    else throw new IllegalArgumentException("not a lock command: " + command);
    state = state.at(now);
    return result;
  }

  private LockResult acquire(Acquire a, AppliedEntry entry) {
    long now = entry.logTimeMillis();
    requireTimed(entry);
    if (a.owner() == null || a.owner().isEmpty()) throw new IllegalArgumentException("an owner must be named");
    if (a.leaseMillis() <= 0) throw new IllegalArgumentException("a lease must be positive, not " + a.leaseMillis());
    if (state.heldAt(now)) return new Busy(state.holder(), state.expiresAtMillis());
    long token = entry.index();
    if (token <= state.token()) {
      // the log index only grows: a token not above the last one would let a stale holder write
      throw new AssertionError("fencing token " + token + " would not be above the last one, " + state.token());
    }
    long expires = Math.addExact(now, a.leaseMillis());
    state = new LockState(a.owner(), token, a.leaseMillis(), expires, now);
    return new Acquired(a.owner(), token, expires);
  }

  private LockResult renew(Renew r, long now) {
    Refused refused = refusal(r.owner(), r.token(), now);
    if (refused != null) return refused;
    long expires = Math.addExact(now, state.leaseMillis());
    state = new LockState(state.holder(), state.token(), state.leaseMillis(), expires, now);
    return new Renewed(r.owner(), r.token(), expires);
  }

  private LockResult release(Release r, long now) {
    Refused refused = refusal(r.owner(), r.token(), now);
    if (refused != null) return refused;
    state = new LockState("", state.token(), 0, 0, now);
    return new Released(r.owner(), r.token());
  }

  /** Null when {@code owner} holds the lock with {@code token} at log time {@code now}; else why not. */
  private Refused refusal(String owner, long token, long now) {
    if (token != state.token() || token == 0) {
      if (token > 0 && token < state.token()) {
        return new Refused(owner, token, Reason.SUPERSEDED, "the lock was acquired since"
            + (state.holder().isEmpty() ? "" : " by " + state.holder()) + " with token " + state.token());
      }
      return new Refused(owner, token, Reason.NOT_HOLDER, "no acquisition gave token " + token);
    }
    if (state.holder().isEmpty()) {
      return new Refused(owner, token, Reason.RELEASED, "the holding of token " + token + " was released");
    }
    if (!state.holder().equals(owner)) {
      return new Refused(owner, token, Reason.NOT_HOLDER, "token " + token + " is " + state.holder() + "'s, not " + owner + "'s");
    }
    if (!state.heldAt(now)) {
      return new Refused(owner, token, Reason.EXPIRED, "the lease of token " + token + " ended at log time "
          + state.expiresAtMillis() + ", it is now " + now);
    }
    return null;
  }

  private static void requireTimed(AppliedEntry entry) {
    if (entry.logTimeMillis() == 0) {
      throw new IllegalArgumentException("entry " + entry.index() + " has no log time: a lease cannot be timed by it");
    }
  }

  @Override
  public LockResult query(GetLock query) {
    return state;
  }

  @Override
  public Object snapshot() {
    return state;
  }

  @Override
  public void restore(Object snapshot) {
    state = (LockState) snapshot;
  }
}
