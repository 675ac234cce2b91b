package io.pekkoraft.etcd;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code pekko-raft.etcd.watch}: see this module's reference.conf for each key's default and danger.
 *
 * @param progressNotifyInterval how often a watch created with {@code progress_notify} that sent no events since
 *     the previous interval gets an empty response with the revision it has reached (etcd: 10 minutes)
 * @param catchUpRevisions revisions of history read at once, and sent as one response, while a watch catches up
 * @param requestsPending requests (cancels, progress requests) one watch may have waiting before the stream fails
 */
public record WatchSettings(Duration progressNotifyInterval, int catchUpRevisions, int requestsPending) {

  public static final String PATH = "pekko-raft.etcd.watch";

  public WatchSettings {
    if (progressNotifyInterval.isNegative() || progressNotifyInterval.isZero()) {
      throw new IllegalArgumentException(PATH + ".progress-notify-interval must be positive, got "
          + progressNotifyInterval);
    }
    if (catchUpRevisions < 1) {
      throw new IllegalArgumentException(PATH + ".catch-up-revisions must be 1 or more, got " + catchUpRevisions);
    }
    if (requestsPending < 1) {
      throw new IllegalArgumentException(PATH + ".requests-pending must be 1 or more, got " + requestsPending);
    }
  }

  public static WatchSettings fromConfig(Config config) {
    Config c = config.getConfig(PATH);
    return new WatchSettings(c.getDuration("progress-notify-interval"), c.getInt("catch-up-revisions"),
        c.getInt("requests-pending"));
  }
}
