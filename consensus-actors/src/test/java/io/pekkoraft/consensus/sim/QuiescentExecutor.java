package io.pekkoraft.consensus.sim;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.dispatch.DispatcherPrerequisites;
import org.apache.pekko.dispatch.ExecutorServiceConfigurator;
import org.apache.pekko.dispatch.ExecutorServiceFactory;
import org.apache.pekko.dispatch.MonitorableThreadFactory;

/**
 * A single-threaded executor for the simulation's dispatcher that knows when the actor system is idle.
 * All actors of a simulated cluster run on its one thread, so messages are processed in one order; and
 * the test advances manual time only when nothing is left to run ({@link #awaitQuiescence}), so that
 * what happens within one instant of simulated time is complete before the clock moves. Together with
 * seeded randomness, this makes a scenario repeat the same way.
 */
public final class QuiescentExecutor extends AbstractExecutorService {

  private static final Map<String, QuiescentExecutor> BY_SYSTEM = new ConcurrentHashMap<>();

  private final ExecutorService delegate;
  private final Object lock = new Object();
  private int outstanding;
  private Throwable failure;
  private java.util.ArrayList<Runnable> held;

  private QuiescentExecutor(ThreadFactory threadFactory) {
    this.delegate = Executors.newSingleThreadExecutor(threadFactory);
  }

  /** The executor of the actor system named {@code systemName}. */
  public static QuiescentExecutor of(String systemName) {
    QuiescentExecutor e = BY_SYSTEM.get(systemName);
    if (e == null) throw new IllegalStateException("no quiescent dispatcher for actor system " + systemName);
    return e;
  }

  /**
   * Waits until no task is queued or running. Returns false if the system was still busy after
   * {@code max}, which means a livelock (actors messaging each other forever within one instant).
   */
  public boolean awaitQuiescence(Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    synchronized (lock) {
      while (outstanding > 0) {
        long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (remainingMs <= 0) return false;
        try {
          lock.wait(remainingMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  /**
   * Runs {@code injection} (the test sending several messages) with execution held back, so that all of
   * its messages are queued before any actor runs: they arrive "in one instant", in the order sent.
   * Call only when the system is idle.
   */
  public void inOneInstant(Runnable injection) {
    synchronized (lock) {
      if (outstanding > 0) throw new IllegalStateException("inOneInstant needs an idle system");
      held = new java.util.ArrayList<>();
    }
    java.util.List<Runnable> release;
    try {
      injection.run();
    } finally {
      synchronized (lock) {
        release = held;
        held = null;
      }
    }
    for (Runnable task : release) run(task);
  }

  @Override
  public void execute(Runnable task) {
    synchronized (lock) {
      outstanding++;
      if (held != null) {
        held.add(task);
        return;
      }
    }
    run(task);
  }

  private void run(Runnable task) {
    delegate.execute(() -> {
      try {
        task.run();
      } catch (Throwable t) {
        synchronized (lock) {
          if (failure == null) failure = t;
        }
        throw t;
      } finally {
        synchronized (lock) {
          if (--outstanding == 0) lock.notifyAll();
        }
      }
    });
  }

  @Override
  public void shutdown() {
    delegate.shutdown();
  }

  @Override
  public List<Runnable> shutdownNow() {
    return delegate.shutdownNow();
  }

  @Override
  public boolean isShutdown() {
    return delegate.isShutdown();
  }

  @Override
  public boolean isTerminated() {
    return delegate.isTerminated();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return delegate.awaitTermination(timeout, unit);
  }

  /** Plugged in as {@code pekko.actor.default-dispatcher.executor}. */
  public static final class Configurator extends ExecutorServiceConfigurator {

    public Configurator(Config config, DispatcherPrerequisites prerequisites) {
      super(config, prerequisites);
    }

    @Override
    public ExecutorServiceFactory createExecutorServiceFactory(String id, ThreadFactory threadFactory) {
      String name = threadFactory instanceof MonitorableThreadFactory m ? m.name() : id;
      String system = name.endsWith("-" + id) ? name.substring(0, name.length() - id.length() - 1) : name;
      return () -> BY_SYSTEM.compute(system, (k, old) -> new QuiescentExecutor(threadFactory));
    }
  }
}
