package io.pekkoraft.consensus.impl;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.annotation.InternalApi;

/**
 * The {@code pekko-raft} configuration, read and checked once. A wrong value fails with an error naming
 * the key, at start, never later.
 */
@InternalApi
public record RaftSettings(
    String selfId,
    Map<String, String> members,
    Duration electionTimeoutMin,
    Duration electionTimeoutMax,
    Duration heartbeatInterval,
    boolean preVote,
    boolean checkQuorum,
    long randomSeed,
    int maxEntriesPerBatch,
    long maxBytesPerBatch,
    int window,
    long maxRequestBytes,
    int maxPending,
    Duration askTimeout,
    String journalPluginId,
    long snapshotEveryEntries,
    Duration snapshotEveryTime,
    int snapshotChunkBytes,
    String snapshotPluginId,
    long snapshotTrailingEntries,
    Duration leadershipTransferTimeout,
    java.nio.file.Path snapshotDir,
    long maxLogBytesInMemory,
    long maxBytesPerWrite) {

  public RaftSettings {
    members = Map.copyOf(members);
    require(electionTimeoutMin.compareTo(heartbeatInterval) > 0, "election-timeout-min",
        "must be larger than heartbeat-interval (" + heartbeatInterval.toMillis() + " ms)");
    require(electionTimeoutMax.compareTo(electionTimeoutMin) >= 0, "election-timeout-max",
        "must be at least election-timeout-min (" + electionTimeoutMin.toMillis() + " ms)");
    require(!heartbeatInterval.isNegative() && !heartbeatInterval.isZero(), "heartbeat-interval", "must be positive");
    require(maxEntriesPerBatch >= 1, "replication.max-entries-per-batch", "must be at least 1");
    require(maxBytesPerBatch >= 1024, "replication.max-bytes-per-batch", "must be at least 1 KiB");
    require(window >= 1, "replication.window", "must be at least 1");
    require(maxRequestBytes >= 1 && maxRequestBytes <= maxBytesPerBatch, "client.max-request-bytes",
        "must be between 1 and replication.max-bytes-per-batch");
    require(maxPending >= 1, "client.max-pending", "must be at least 1");
    require(snapshotEveryEntries >= 0, "snapshot.every-entries", "must be 0 (off) or positive");
    require(!snapshotEveryTime.isNegative(), "snapshot.every-time", "must be 0 (off) or positive");
    require(snapshotChunkBytes >= 1024, "snapshot.chunk-size", "must be at least 1 KiB");
    require(snapshotTrailingEntries >= 0, "snapshot.trailing-entries", "must be 0 or positive");
    require(!leadershipTransferTimeout.isNegative() && !leadershipTransferTimeout.isZero(),
        "leadership-transfer-timeout", "must be positive (0 in the configuration means election-timeout-min)");
    require(maxLogBytesInMemory >= 0, "log.max-bytes-in-memory", "must be 0 or positive");
    require(maxBytesPerWrite >= maxBytesPerBatch + 64 * 1024, "log.max-bytes-per-write",
        "must be at least replication.max-bytes-per-batch (" + maxBytesPerBatch + " bytes) + 64 KiB, so that every"
            + " batch a follower receives fits in one write");
  }

  private static void require(boolean ok, String key, String what) {
    if (!ok) throw new ConfigException.BadValue("pekko-raft." + key, what);
  }

  /** Reads the {@code pekko-raft} section of {@code root}. */
  public static RaftSettings fromConfig(Config root) {
    Config c = root.getConfig("pekko-raft");
    Map<String, String> members = new LinkedHashMap<>();
    for (Config m : c.getConfigList("members")) {
      String id = m.getString("id");
      if (id.isBlank()) throw new ConfigException.BadValue("pekko-raft.members", "a member id is empty");
      if (members.put(id, m.getString("address")) != null) {
        throw new ConfigException.BadValue("pekko-raft.members", "member id " + id + " appears twice");
      }
    }
    return new RaftSettings(
        c.getString("self-id"),
        members,
        c.getDuration("election-timeout-min"),
        c.getDuration("election-timeout-max"),
        c.getDuration("heartbeat-interval"),
        c.getBoolean("pre-vote"),
        c.getBoolean("check-quorum"),
        c.getLong("random-seed"),
        c.getInt("replication.max-entries-per-batch"),
        c.getBytes("replication.max-bytes-per-batch"),
        c.getInt("replication.window"),
        c.getBytes("client.max-request-bytes"),
        c.getInt("client.max-pending"),
        c.getDuration("client.ask-timeout"),
        c.getString("journal-plugin-id"),
        c.getLong("snapshot.every-entries"),
        c.getDuration("snapshot.every-time"),
        (int) Math.min(Integer.MAX_VALUE, c.getBytes("snapshot.chunk-size")),
        c.getString("snapshot.plugin-id"),
        c.getLong("snapshot.trailing-entries"),
        orElse(c.getDuration("leadership-transfer-timeout"), c.getDuration("election-timeout-min")),
        snapshotDir(root),
        c.getBytes("log.max-bytes-in-memory"),
        maxBytesPerWrite(root));
  }

  /**
   * {@code snapshot.dir}, or when empty the snapshot store's {@code dir} with {@code -state-machine} appended
   * (beside it, not in it: that store allows nothing but its own files in its directory).
   */
  private static java.nio.file.Path snapshotDir(Config root) {
    String dir = root.getString("pekko-raft.snapshot.dir");
    if (!dir.isEmpty()) return java.nio.file.Path.of(dir);
    if (!root.hasPath("pekko-raft.snapshot-store.dir")) {
      throw new ConfigException.BadValue("pekko-raft.snapshot.dir",
          "is empty and there is no pekko-raft.snapshot-store.dir to put the state machine snapshots under");
    }
    return java.nio.file.Path.of(root.getString("pekko-raft.snapshot-store.dir") + "-state-machine");
  }

  /**
   * {@code log.max-bytes-per-write}, checked against the segment size of this project's journal when it is
   * the one in use (it refuses a record larger than a segment).
   */
  private static long maxBytesPerWrite(Config root) {
    long max = root.getBytes("pekko-raft.log.max-bytes-per-write");
    String journal = root.getString("pekko-raft.journal-plugin-id");
    String segmentKey = journal + ".segment-size";
    if (!journal.isEmpty() && root.hasPath(journal + ".class")
        && root.getString(journal + ".class").equals("io.pekkoraft.persistence.journal.SegmentJournal")
        && root.hasPath(segmentKey) && max > root.getBytes(segmentKey) - 64 * 1024) {
      throw new ConfigException.BadValue("pekko-raft.log.max-bytes-per-write", "must be at most " + segmentKey
          + " (" + root.getBytes(segmentKey) + " bytes) - 64 KiB: the journal refuses a write larger than a segment");
    }
    return max;
  }

  /** A configured duration of 0 stands for {@code otherwise}; a negative one is kept, for the check to name. */
  private static Duration orElse(Duration configured, Duration otherwise) {
    return configured.isZero() ? otherwise : configured;
  }

  /** A copy for another member id (tests run several nodes from one configuration). */
  public RaftSettings withSelfId(String id) {
    return new RaftSettings(id, members, electionTimeoutMin, electionTimeoutMax, heartbeatInterval, preVote,
        checkQuorum, randomSeed, maxEntriesPerBatch, maxBytesPerBatch, window, maxRequestBytes, maxPending,
        askTimeout, journalPluginId, snapshotEveryEntries, snapshotEveryTime, snapshotChunkBytes, snapshotPluginId,
        snapshotTrailingEntries, leadershipTransferTimeout, snapshotDir, maxLogBytesInMemory, maxBytesPerWrite);
  }

  public RaftSettings withRandomSeed(long seed) {
    return new RaftSettings(selfId, members, electionTimeoutMin, electionTimeoutMax, heartbeatInterval, preVote,
        checkQuorum, seed, maxEntriesPerBatch, maxBytesPerBatch, window, maxRequestBytes, maxPending,
        askTimeout, journalPluginId, snapshotEveryEntries, snapshotEveryTime, snapshotChunkBytes, snapshotPluginId,
        snapshotTrailingEntries, leadershipTransferTimeout, snapshotDir, maxLogBytesInMemory, maxBytesPerWrite);
  }

  public RaftSettings withPreVote(boolean on) {
    return new RaftSettings(selfId, members, electionTimeoutMin, electionTimeoutMax, heartbeatInterval, on,
        checkQuorum, randomSeed, maxEntriesPerBatch, maxBytesPerBatch, window, maxRequestBytes, maxPending,
        askTimeout, journalPluginId, snapshotEveryEntries, snapshotEveryTime, snapshotChunkBytes, snapshotPluginId,
        snapshotTrailingEntries, leadershipTransferTimeout, snapshotDir, maxLogBytesInMemory, maxBytesPerWrite);
  }

  /** Whether the state machine is snapshotted at all (either trigger set). */
  public boolean snapshotsEnabled() {
    return snapshotEveryEntries > 0 || !snapshotEveryTime.isZero();
  }
}
