package io.pekkoraft.consensus.sim;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.ThreadFactory;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.Scheduler;
import org.apache.pekko.event.LoggingAdapter;
import scala.concurrent.ExecutionContext;
import scala.concurrent.duration.FiniteDuration;

/**
 * Simulated time for an ActorSystem ({@code pekko.scheduler.implementation}). Nothing happens until the
 * test advances the clock; then the clock jumps from one due task to the next, and between two instants
 * the test lets the actor system settle. Unlike Pekko's ExplicitlyTriggeredScheduler it never sleeps, so
 * minutes of simulated time take well under a second.
 */
public final class SimScheduler implements Scheduler {

  private static final class Task implements Cancellable {
    long dueMs; // mutable only while out of the queue: a periodic task is re-queued with its next due time
    long seq;
    final long intervalMs;
    final Runnable runnable;
    volatile boolean cancelled;

    Task(long dueMs, long seq, long intervalMs, Runnable runnable) {
      this.dueMs = dueMs;
      this.seq = seq;
      this.intervalMs = intervalMs;
      this.runnable = runnable;
    }

    @Override
    public boolean cancel() {
      boolean was = cancelled;
      cancelled = true;
      return !was;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }
  }

  private final PriorityQueue<Task> queue = new PriorityQueue<>((a, b) ->
      a.dueMs != b.dueMs ? Long.compare(a.dueMs, b.dueMs) : Long.compare(a.seq, b.seq));
  private long nowMs;
  private long seq;

  /** The constructor Pekko calls. */
  public SimScheduler(Config config, LoggingAdapter log, ThreadFactory threadFactory) {}

  @Override
  public synchronized Cancellable scheduleOnce(FiniteDuration delay, Runnable runnable, ExecutionContext executor) {
    Task t = new Task(nowMs + Math.max(0, delay.toMillis()), seq++, 0, runnable);
    queue.add(t);
    return t;
  }

  /** Deprecated in Pekko's Scheduler, but still the abstract method every scheduler must provide. */
  @Override
  @SuppressWarnings("deprecation")
  public synchronized Cancellable schedule(
      FiniteDuration initialDelay, FiniteDuration interval, Runnable runnable, ExecutionContext executor) {
    Task t = new Task(nowMs + Math.max(0, initialDelay.toMillis()), seq++, Math.max(1, interval.toMillis()), runnable);
    queue.add(t);
    return t;
  }

  @Override
  public double maxFrequency() {
    return 1000.0;
  }

  public synchronized long nowMs() {
    return nowMs;
  }

  /**
   * Moves the clock forward by {@code amount}, jumping from one instant at which tasks fall due to the
   * next. At each instant it hands {@code atInstant} a runnable that runs that instant's tasks; the caller
   * decides how (the simulation runs them with the actors held back, then lets the system settle, so
   * their effects complete before time moves on).
   */
  public void advance(Duration amount, java.util.function.Consumer<Runnable> atInstant) {
    long target;
    synchronized (this) {
      target = nowMs + amount.toMillis();
    }
    while (true) {
      long instant;
      synchronized (this) {
        while (!queue.isEmpty() && queue.peek().cancelled) queue.poll();
        if (queue.isEmpty() || queue.peek().dueMs > target) {
          nowMs = target;
          return;
        }
        instant = queue.peek().dueMs;
        nowMs = instant;
      }
      atInstant.accept(() -> runDue(instant));
    }
  }

  private void runDue(long instant) {
    while (true) {
      Task t;
      synchronized (this) {
        if (queue.isEmpty() || queue.peek().dueMs > instant) return;
        t = queue.poll();
        if (t.cancelled) continue;
        if (t.intervalMs > 0) {
          // The same object goes back in, so cancelling the handle stops every later repetition.
          t.dueMs += t.intervalMs;
          t.seq = seq++;
          queue.add(t);
        }
      }
      t.runnable.run();
    }
  }
}
