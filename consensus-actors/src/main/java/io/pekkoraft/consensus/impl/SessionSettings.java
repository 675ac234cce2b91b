package io.pekkoraft.consensus.impl;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.pekko.annotation.InternalApi;

/**
 * {@code pekko-raft.session}: client sessions, which make commands apply at most once however often a
 * client retries them (see {@code SessionTable}).
 *
 * @param enabled whether {@code RaftGroup} and {@code RaftClient} open a session and retry outcome-unknown
 *     failures themselves
 * @param ttl a session with no entry in the log for this long, in log time, expires
 * @param sessionsMax sessions the table holds; opening one more evicts the least recently active
 * @param cachedResultsMax answers a session keeps for retries; a command beyond them is refused
 * @param attemptTimeout how long a client waits for one attempt before it retries with the same sequence
 * @param wallClockMs the clock a leader stamps log time from (milliseconds); tests give simulated time
 */
@InternalApi
public record SessionSettings(boolean enabled, Duration ttl, int sessionsMax, int cachedResultsMax,
    Duration attemptTimeout, LongSupplier wallClockMs) {

  public SessionSettings {
    if (ttl.isNegative() || ttl.isZero()) throw new ConfigException.BadValue("pekko-raft.session.ttl", "must be positive");
    if (sessionsMax < 1) throw new ConfigException.BadValue("pekko-raft.session.max-sessions", "must be at least 1");
    if (cachedResultsMax < 1) {
      throw new ConfigException.BadValue("pekko-raft.session.max-cached-results-per-session", "must be at least 1");
    }
    if (attemptTimeout.isNegative() || attemptTimeout.isZero()) {
      throw new ConfigException.BadValue("pekko-raft.session.attempt-timeout", "must be positive");
    }
  }

  /** Reads {@code session.*} of the {@code pekko-raft} section {@code c}. */
  public static SessionSettings fromConfig(Config c) {
    return new SessionSettings(c.getBoolean("session.enabled"), c.getDuration("session.ttl"),
        c.getInt("session.max-sessions"), c.getInt("session.max-cached-results-per-session"),
        c.getDuration("session.attempt-timeout"), System::currentTimeMillis);
  }

  /**
   * Checks that a client's retry window ({@code deadline}: it retries with the same sequence until then)
   * ends before its session could expire: a session that expires while a retry may still come would answer
   * SessionExpired where the client expected its first result (never a second apply, but an avoidable unknown).
   */
  public void checkRetryWindow(Duration deadline, String key) {
    if (enabled && deadline.compareTo(ttl) >= 0) {
      throw new ConfigException.BadValue(key, "(" + deadline.toMillis() + " ms) must be shorter than"
          + " pekko-raft.session.ttl (" + ttl.toMillis() + " ms): a client retries a command until its deadline,"
          + " and its session must outlive every retry; raise session.ttl or lower the deadline");
    }
  }

  /** The same settings stamping log time from {@code clock} (simulated time in tests). */
  public SessionSettings withWallClock(LongSupplier clock) {
    return new SessionSettings(enabled, ttl, sessionsMax, cachedResultsMax, attemptTimeout, clock);
  }

  public SessionSettings withEnabled(boolean on) {
    return new SessionSettings(on, ttl, sessionsMax, cachedResultsMax, attemptTimeout, wallClockMs);
  }
}
