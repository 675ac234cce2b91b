package io.pekkoraft.samples.lock;

import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.samples.lock.FencedStorage.StaleToken;
import io.pekkoraft.samples.lock.FencedStorage.WriteResult;
import io.pekkoraft.samples.lock.FencedStorage.Written;
import io.pekkoraft.samples.lock.LockStateMachine.Acquire;
import io.pekkoraft.samples.lock.LockStateMachine.Acquired;
import io.pekkoraft.samples.lock.LockStateMachine.Busy;
import io.pekkoraft.samples.lock.LockStateMachine.GetLock;
import io.pekkoraft.samples.lock.LockStateMachine.LockCommand;
import io.pekkoraft.samples.lock.LockStateMachine.LockResult;
import io.pekkoraft.samples.lock.LockStateMachine.Reason;
import io.pekkoraft.samples.lock.LockStateMachine.Refused;
import io.pekkoraft.samples.lock.LockStateMachine.Release;
import io.pekkoraft.samples.lock.LockStateMachine.Released;
import io.pekkoraft.samples.lock.LockStateMachine.Renew;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The schedule that broke etcd's locks under Jepsen (etcd 3.4.3, 2020), played against the replicated lock and
 * a {@link FencedStorage}:
 *
 * <ol>
 *   <li>client A acquires the lock with a short lease, gets fencing token tA, and writes with it;
 *   <li>A is paused (a garbage collection, a stopped VM) past its lease: it stops renewing;
 *   <li>client B tries to acquire: {@code Busy} while A's lease holds in log time, then, once a later entry's
 *       log time has passed A's lease, {@code Acquired} with token tB &gt; tA; B writes with tB;
 *   <li>A wakes up, still believing it holds the lock, and writes with tA: the storage rejects the write, since
 *       tA is older than tB, which it has seen; A's renewal is refused too ({@code SUPERSEDED}).
 * </ol>
 *
 * A's pause lasts {@code pause}, and at least until B has written (a pause that ends before B acquires is a
 * different, harmless story: A's lease may still hold, or A's write with tA would simply be the latest).
 * The scenario runs its steps one after another on the calling thread; each waits at most {@code stepTimeout}.
 */
public final class LockScenario {

  /** What happened, step by step. */
  public record Outcome(Acquired a, Acquired b, int busyAnswersToB, WriteResult aWrote, WriteResult bWrote,
      WriteResult aWroteAfterPause, LockResult aRenewedAfterPause, LockResult bReleased, String finalValue) {

    /** Whether everything behaved as the lock and the fencing tokens promise. */
    public boolean behaved() {
      return b.token() > a.token()
          && aWrote instanceof Written
          && bWrote instanceof Written
          && aWroteAfterPause instanceof StaleToken stale && stale.highestSeen() == b.token()
          && aRenewedAfterPause instanceof Refused refused && refused.reason() == Reason.SUPERSEDED
          && bReleased instanceof Released
          && valueOfB(b.token()).equals(finalValue);
    }
  }

  static final String KEY = "config";
  static final String A = "client-A";
  static final String B = "client-B";

  private final RaftGroup<LockCommand, GetLock, LockResult> clientA;
  private final RaftGroup<LockCommand, GetLock, LockResult> clientB;
  private final FencedStorage storage;
  private final Duration lease;
  private final Duration pause;
  private final Duration stepTimeout;
  private final Consumer<String> say;

  /**
   * @param clientA the lock as client A reaches it (a group handle on one node)
   * @param clientB the lock as client B reaches it (on another node)
   * @param lease the lease both clients ask for
   * @param pause how long A is paused at least, after its first write (it also waits for B's write)
   * @param say where the scenario tells what happens
   */
  public LockScenario(RaftGroup<LockCommand, GetLock, LockResult> clientA, RaftGroup<LockCommand, GetLock, LockResult> clientB,
      FencedStorage storage, Duration lease, Duration pause, Duration stepTimeout, Consumer<String> say) {
    this.clientA = clientA;
    this.clientB = clientB;
    this.storage = storage;
    this.lease = lease;
    this.pause = pause;
    this.stepTimeout = stepTimeout;
    this.say = say;
  }

  public Outcome run() throws Exception {
    say.accept("A acquires the lock with a lease of " + lease.toMillis() + " ms...");
    Acquired a = acquire(clientA, A, null);
    say.accept("A holds the lock: fencing token " + a.token() + " (the log index of its acquisition), lease until"
        + " log time " + a.expiresAtMillis() + ".");
    WriteResult aWrote = storage.write(KEY, valueOfA(a.token()), a.token());
    say.accept("A writes with token " + a.token() + ": " + aWrote + ".");

    say.accept("A is paused (a long GC pause, a stopped VM) for " + pause.toMillis() + " ms, and until B has"
        + " written: it stops renewing its lease.");
    CompletableFuture<Void> aWakes =
        CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(pause.toMillis(), TimeUnit.MILLISECONDS));

    say.accept("B asks for the lock, again while it is busy...");
    int[] busy = {0};
    Acquired b = acquire(clientB, B, busy);
    say.accept("B holds the lock after " + busy[0] + " Busy answer(s): A's lease had passed in log time, so B got it,"
        + " with fencing token " + b.token() + " > " + a.token() + ".");
    WriteResult bWrote = storage.write(KEY, valueOfB(b.token()), b.token());
    say.accept("B writes with token " + b.token() + ": " + bWrote + ".");

    aWakes.get(pause.toMillis() + stepTimeout.toMillis(), TimeUnit.MILLISECONDS);
    say.accept("A wakes up, still believing it holds the lock, and writes with its token " + a.token() + "...");
    WriteResult aWroteAfterPause = storage.write(KEY, valueOfA(a.token()) + ", after its pause", a.token());
    if (aWroteAfterPause instanceof StaleToken stale) {
      say.accept("REJECTED by the storage: token " + stale.token() + " is older than token " + stale.highestSeen()
          + ", which it has seen. B's write stands.");
    } else {
      say.accept("ACCEPTED: " + aWroteAfterPause + " (the storage did not fence the stale holder!)");
    }
    LockResult aRenewed = submit(clientA, new Renew(A, a.token()));
    say.accept("A tries to renew its lease: " + aRenewed + ".");
    LockResult bReleased = submit(clientB, new Release(B, b.token()));
    say.accept("B releases the lock: " + bReleased + ".");
    String finalValue = storage.read(KEY).orElse(null);
    say.accept("The storage holds " + KEY + " = \"" + finalValue + "\".");
    return new Outcome(a, b, busy[0], aWrote, bWrote, aWroteAfterPause, aRenewed, bReleased, finalValue);
  }

  static String valueOfA(long token) {
    return "written by " + A + " with token " + token;
  }

  static String valueOfB(long token) {
    return "written by " + B + " with token " + token;
  }

  /**
   * Asks for the lock until it is granted, a fifth of a lease apart (a holder left by an earlier run, or A for
   * B); counts the Busy answers in {@code busy} if given.
   */
  private Acquired acquire(RaftGroup<LockCommand, GetLock, LockResult> client, String owner, int[] busy)
      throws Exception {
    long deadline = System.nanoTime() + lease.toNanos() + stepTimeout.toNanos();
    while (true) {
      LockResult r = submit(client, new Acquire(owner, lease.toMillis()));
      if (r instanceof Acquired acquired) return acquired;
      if (!(r instanceof Busy held)) throw new IllegalStateException(owner + " asked for the lock and got " + r);
      if (busy != null) busy[0]++;
      if (System.nanoTime() > deadline) throw new IllegalStateException(owner + " never got the lock: " + held);
      say.accept("  " + owner + ": Busy, held by " + held.holder() + " until log time " + held.expiresAtMillis()
          + "; asking again in " + lease.toMillis() / 5 + " ms.");
      CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(lease.toMillis() / 5, TimeUnit.MILLISECONDS))
          .get(stepTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /**
   * One command, answered. The group handle retries an outcome-unknown failure itself, with its session (the
   * command is applied at most once); a NotLeader (no leader known yet, right after an election) is asked again.
   */
  private LockResult submit(RaftGroup<LockCommand, GetLock, LockResult> client, LockCommand command) throws Exception {
    long deadline = System.nanoTime() + stepTimeout.toNanos();
    while (true) {
      try {
        return client.submit(command).toCompletableFuture().get(stepTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
        if (!(cause instanceof RaftException.NotLeader) || System.nanoTime() > deadline) throw e;
        CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS)).get();
      }
    }
  }
}
