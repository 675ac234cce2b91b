package io.pekkoraft.persistence.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** The log lines of one logger, captured while open (and kept off the console): tests check what was said. */
public final class CapturedLog implements AutoCloseable {
  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>() {
    @Override
    protected void append(ILoggingEvent event) {
      synchronized (this) {
        super.append(event);
        notifyAll(); // wakes await
      }
    }
  };

  public CapturedLog(Class<?> source) {
    this(source.getName());
  }

  public CapturedLog(String loggerName) {
    logger = (Logger) LoggerFactory.getLogger(loggerName);
    appender.start();
    logger.addAppender(appender);
    logger.setAdditive(false);
  }

  public List<String> warnings() {
    return at(Level.WARN);
  }

  public List<String> errors() {
    return at(Level.ERROR);
  }

  private List<String> at(Level level) {
    synchronized (appender) {
      return appender.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  /** Every captured message with the class and message of each exception in its chain, one per line. */
  public String everything() {
    StringBuilder all = new StringBuilder();
    synchronized (appender) {
      for (ILoggingEvent e : appender.list) {
        all.append(e.getLevel()).append(' ').append(e.getFormattedMessage()).append('\n');
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
          all.append("  ").append(t.getClassName()).append(": ").append(t.getMessage()).append('\n');
        }
      }
    }
    return all.toString();
  }

  /**
   * Waits until {@code done} holds for what {@code lines} returns (re-checked whenever a line is logged),
   * at most {@code timeout}; returns the last value seen, for the caller's assertion.
   */
  public <T> T await(java.util.function.Supplier<T> lines, java.util.function.Predicate<T> done,
      java.time.Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (appender) {
      T seen = lines.get();
      long left;
      while (!done.test(seen) && (left = deadline - System.nanoTime()) > 0) {
        try {
          appender.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return seen;
        }
        seen = lines.get();
      }
      return seen;
    }
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    logger.setAdditive(true);
  }
}
