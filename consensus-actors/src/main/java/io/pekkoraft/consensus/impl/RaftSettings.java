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
    int batchEntriesMax,
    long batchBytesMax,
    int window,
    long requestBytesMax,
    int pendingMax,
    Duration askTimeout,
    String journalPluginId,
    long snapshotEveryEntries,
    Duration snapshotEveryTime,
    int snapshotChunkBytes,
    String snapshotPluginId,
    long snapshotTrailingEntries,
    Duration leadershipTransferTimeout,
    java.nio.file.Path snapshotDir,
    long logMemoryBytesMax,
    long logWriteBytesMax,
    long catchUpGap,
    boolean leaseReads,
    Duration leaseClockDriftMargin,
    java.util.function.LongSupplier clock,
    SessionSettings session) {

  public RaftSettings {
    members = Map.copyOf(members);
    require(electionTimeoutMin.compareTo(heartbeatInterval) > 0, "election-timeout-min",
        "must be larger than heartbeat-interval (" + heartbeatInterval.toMillis() + " ms)");
    require(electionTimeoutMax.compareTo(electionTimeoutMin) >= 0, "election-timeout-max",
        "must be at least election-timeout-min (" + electionTimeoutMin.toMillis() + " ms)");
    require(!heartbeatInterval.isNegative() && !heartbeatInterval.isZero(), "heartbeat-interval", "must be positive");
    require(batchEntriesMax >= 1, "replication.batch-entries-max", "must be at least 1");
    require(batchBytesMax >= 1024, "replication.batch-bytes-max", "must be at least 1 KiB");
    require(window >= 1, "replication.window", "must be at least 1");
    require((long) batchEntriesMax * window <= Integer.MAX_VALUE / 2, "replication.window",
        "times replication.batch-entries-max must stay below 2^30 (a follower far behind is sent that many entries at once)");
    require(requestBytesMax >= 1 && requestBytesMax <= batchBytesMax, "client.request-bytes-max",
        "must be between 1 and replication.batch-bytes-max");
    require(pendingMax >= 1, "client.pending-max", "must be at least 1");
    require(snapshotEveryEntries >= 0, "snapshot.every-entries", "must be 0 (off) or positive");
    require(!snapshotEveryTime.isNegative(), "snapshot.every-time", "must be 0 (off) or positive");
    require(snapshotChunkBytes >= 1024, "snapshot.chunk-size", "must be at least 1 KiB");
    // Checked only with leases on: a group with short election timeouts and leases off keeps the default margin.
    require(!leaseReads || !leaseClockDriftMargin.isNegative() && leaseClockDriftMargin.compareTo(electionTimeoutMin) < 0,
        "read.lease-clock-drift-margin", "must be at least 0 and below election-timeout-min ("
            + electionTimeoutMin.toMillis() + " ms): the lease lasts election-timeout-min minus the margin");
    require(!leaseReads || checkQuorum, "read.lease", "needs check-quorum = on: a follower refuses to elect another"
        + " leader while it hears from this one only with check-quorum, and the lease rests on that");
    require(catchUpGap >= 0, "membership.catch-up-gap", "must be 0 or positive");
    require(snapshotTrailingEntries >= 0, "snapshot.trailing-entries", "must be 0 or positive");
    require(!leadershipTransferTimeout.isNegative() && !leadershipTransferTimeout.isZero(),
        "leadership-transfer-timeout", "must be positive (0 in the configuration means election-timeout-min)");
    require(logMemoryBytesMax >= 0, "log.memory-bytes-max", "must be 0 or positive");
    require(logWriteBytesMax >= batchBytesMax + 64 * 1024, "log.write-bytes-max",
        "must be at least replication.batch-bytes-max (" + batchBytesMax + " bytes) + 64 KiB, so that every"
            + " batch a follower receives fits in one write");
    session.checkRetryWindow(askTimeout, "pekko-raft.client.ask-timeout");
  }

  private static void require(boolean ok, String key, String what) {
    if (!ok) throw new ConfigException.BadValue("pekko-raft." + key, what);
  }

  /**
   * Keys renamed so that the qualifier comes last, as in {@code election-timeout-min} and the journal's
   * {@code batch-bytes-max}: old name, new name. A configuration that still sets an old one fails at start
   * naming the new one, instead of the value being silently ignored.
   */
  private static final Map<String, String> RENAMED_KEYS = Map.of(
      "replication.max-entries-per-batch", "replication.batch-entries-max",
      "replication.max-bytes-per-batch", "replication.batch-bytes-max",
      "client.max-request-bytes", "client.request-bytes-max",
      "client.max-pending", "client.pending-max");

  /** Reads the {@code pekko-raft} section of {@code root}. */
  public static RaftSettings fromConfig(Config root) {
    Config c = root.getConfig("pekko-raft");
    for (Map.Entry<String, String> renamed : RENAMED_KEYS.entrySet()) {
      if (c.hasPath(renamed.getKey())) {
        throw new ConfigException.BadValue("pekko-raft." + renamed.getKey(),
            "was renamed to pekko-raft." + renamed.getValue() + "; set that key instead");
      }
    }
    Map<String, String> members = new LinkedHashMap<>();
    for (Config m : c.getConfigList("members")) {
      String id = m.getString("id");
      String problem = io.pekkoraft.consensus.rules.MemberIds.problem(id);
      if (problem != null) throw new ConfigException.BadValue("pekko-raft.members", problem);
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
        c.getInt("replication.batch-entries-max"),
        c.getBytes("replication.batch-bytes-max"),
        c.getInt("replication.window"),
        c.getBytes("client.request-bytes-max"),
        c.getInt("client.pending-max"),
        c.getDuration("client.ask-timeout"),
        c.getString("journal-plugin-id"),
        c.getLong("snapshot.every-entries"),
        c.getDuration("snapshot.every-time"),
        (int) Math.min(Integer.MAX_VALUE, c.getBytes("snapshot.chunk-size")),
        c.getString("snapshot.plugin-id"),
        c.getLong("snapshot.trailing-entries"),
        orElse(c.getDuration("leadership-transfer-timeout"), c.getDuration("election-timeout-min")),
        snapshotDir(root),
        c.getBytes("log.memory-bytes-max"),
        logWriteBytesMax(root),
        c.getLong("membership.catch-up-gap"),
        c.getBoolean("read.lease"),
        c.getDuration("read.lease-clock-drift-margin"),
        System::nanoTime,
        SessionSettings.fromConfig(c));
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
   * {@code log.write-bytes-max}, checked against the segment size of this project's journal when it is
   * the one in use (it refuses a record larger than a segment).
   */
  private static long logWriteBytesMax(Config root) {
    long max = root.getBytes("pekko-raft.log.write-bytes-max");
    String journal = root.getString("pekko-raft.journal-plugin-id");
    String segmentKey = journal + ".segment-size";
    if (!journal.isEmpty() && root.hasPath(journal + ".class")
        && root.getString(journal + ".class").equals("io.pekkoraft.persistence.journal.SegmentJournal")
        && root.hasPath(segmentKey) && max > root.getBytes(segmentKey) - 64 * 1024) {
      throw new ConfigException.BadValue("pekko-raft.log.write-bytes-max", "must be at most " + segmentKey
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
        checkQuorum, randomSeed, batchEntriesMax, batchBytesMax, window, requestBytesMax, pendingMax,
        askTimeout, journalPluginId, snapshotEveryEntries, snapshotEveryTime, snapshotChunkBytes, snapshotPluginId,
        snapshotTrailingEntries, leadershipTransferTimeout, snapshotDir, logMemoryBytesMax, logWriteBytesMax,
        catchUpGap, leaseReads, leaseClockDriftMargin, clock, session);
  }

  public RaftSettings withRandomSeed(long seed) {
    return new RaftSettings(selfId, members, electionTimeoutMin, electionTimeoutMax, heartbeatInterval, preVote,
        checkQuorum, seed, batchEntriesMax, batchBytesMax, window, requestBytesMax, pendingMax,
        askTimeout, journalPluginId, snapshotEveryEntries, snapshotEveryTime, snapshotChunkBytes, snapshotPluginId,
        snapshotTrailingEntries, leadershipTransferTimeout, snapshotDir, logMemoryBytesMax, logWriteBytesMax,
        catchUpGap, leaseReads, leaseClockDriftMargin, clock, session);
  }

  /** A copy reading leases off another monotonic clock, in nanoseconds (a simulation's time). */
  public RaftSettings withClock(java.util.function.LongSupplier nanos) {
    return new RaftSettings(selfId, members, electionTimeoutMin, electionTimeoutMax, heartbeatInterval, preVote,
        checkQuorum, randomSeed, batchEntriesMax, batchBytesMax, window, requestBytesMax, pendingMax,
        askTimeout, journalPluginId, snapshotEveryEntries, snapshotEveryTime, snapshotChunkBytes, snapshotPluginId,
        snapshotTrailingEntries, leadershipTransferTimeout, snapshotDir, logMemoryBytesMax, logWriteBytesMax,
        catchUpGap, leaseReads, leaseClockDriftMargin, nanos, session);
  }

  public RaftSettings withPreVote(boolean on) {
    return new RaftSettings(selfId, members, electionTimeoutMin, electionTimeoutMax, heartbeatInterval, on,
        checkQuorum, randomSeed, batchEntriesMax, batchBytesMax, window, requestBytesMax, pendingMax,
        askTimeout, journalPluginId, snapshotEveryEntries, snapshotEveryTime, snapshotChunkBytes, snapshotPluginId,
        snapshotTrailingEntries, leadershipTransferTimeout, snapshotDir, logMemoryBytesMax, logWriteBytesMax,
        catchUpGap, leaseReads, leaseClockDriftMargin, clock, session);
  }

  /** A copy with other session settings (tests: simulated log time, sessions off). */
  public RaftSettings withSession(SessionSettings other) {
    return new RaftSettings(selfId, members, electionTimeoutMin, electionTimeoutMax, heartbeatInterval, preVote,
        checkQuorum, randomSeed, batchEntriesMax, batchBytesMax, window, requestBytesMax, pendingMax,
        askTimeout, journalPluginId, snapshotEveryEntries, snapshotEveryTime, snapshotChunkBytes, snapshotPluginId,
        snapshotTrailingEntries, leadershipTransferTimeout, snapshotDir, logMemoryBytesMax, logWriteBytesMax,
        catchUpGap, leaseReads, leaseClockDriftMargin, clock, other);
  }

  /** Whether the state machine is snapshotted at all (either trigger set). */
  public boolean snapshotsEnabled() {
    return snapshotEveryEntries > 0 || !snapshotEveryTime.isZero();
  }
}
