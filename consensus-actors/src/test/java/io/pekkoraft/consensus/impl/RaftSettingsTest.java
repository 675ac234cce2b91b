package io.pekkoraft.consensus.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RaftSettingsTest {

  private static Config withOverrides(String hocon) {
    return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load());
  }

  private static RaftSettings parse(String hocon) {
    return RaftSettings.fromConfig(withOverrides(hocon));
  }

  private static void assertFailsNaming(String key, String hocon) {
    ConfigException e = assertThrows(ConfigException.class, () -> parse(hocon));
    assertTrue(e.getMessage().contains(key), "message should name " + key + ": " + e.getMessage());
  }

  @Test
  void theDefaultsOfReferenceConfParse() {
    // reference.conf alone yields the documented defaults.
    RaftSettings s = RaftSettings.fromConfig(ConfigFactory.load());
    assertEquals("", s.selfId());
    assertEquals(Map.of(), s.members());
    assertEquals(Duration.ofMillis(1000), s.electionTimeoutMin());
    assertEquals(Duration.ofMillis(2000), s.electionTimeoutMax());
    assertEquals(Duration.ofMillis(200), s.heartbeatInterval());
    assertTrue(s.preVote());
    assertTrue(s.checkQuorum());
    assertEquals(0, s.randomSeed());
    assertEquals(512, s.batchEntriesMax());
    assertEquals(1024 * 1024, s.batchBytesMax());
    assertEquals(8, s.window());
    assertEquals(1024 * 1024, s.requestBytesMax());
    assertEquals(10000, s.pendingMax());
    assertEquals(Duration.ofSeconds(10), s.askTimeout());
    assertEquals("pekko-raft.journal", s.journalPluginId(), "the durable journal is the default");
    assertEquals(10000, s.snapshotEveryEntries());
    assertEquals(Duration.ofMinutes(5), s.snapshotEveryTime());
    assertEquals(1000, s.snapshotTrailingEntries());
    assertEquals(1024 * 1024, s.snapshotChunkBytes());
    assertEquals("pekko-raft.snapshot-store", s.snapshotPluginId(), "the durable snapshot store is the default");
    assertTrue(s.snapshotsEnabled());
    assertEquals(100, s.catchUpGap());
  }

  /** A session must outlive the client's retry window: a ttl not longer than ask-timeout fails at start. */
  @Test
  void aSessionTtlNotLongerThanTheAskTimeoutFails() {
    assertFailsNaming("pekko-raft.client.ask-timeout", "pekko-raft.session.ttl = 10s\npekko-raft.client.ask-timeout = 10s");
    RaftSettings off = parse("pekko-raft.session.enabled = off\npekko-raft.session.ttl = 1s\npekko-raft.client.ask-timeout = 10s");
    org.junit.jupiter.api.Assertions.assertFalse(off.session().enabled(), "with sessions off the ttl is not checked");
  }

  @Test
  void aNegativeCatchUpGapFails() {
    // A learner can never be further than 0 entries ahead: a negative gap would refuse every promotion.
    assertFailsNaming("pekko-raft.membership.catch-up-gap", "pekko-raft.membership.catch-up-gap = -1");
  }

  @Test
  void snapshotSettingsAreReadAndChecked() {
    // Both triggers off: no snapshots; each key refuses a wrong value, naming itself.
    RaftSettings off = parse("pekko-raft.snapshot { every-entries = 0, every-time = 0s, trailing-entries = 0 }");
    assertEquals(false, off.snapshotsEnabled());
    assertEquals(0, off.snapshotTrailingEntries());
    assertFailsNaming("pekko-raft.snapshot.every-entries", "pekko-raft.snapshot.every-entries = -1");
    assertFailsNaming("pekko-raft.snapshot.every-time", "pekko-raft.snapshot.every-time = -1s");
    assertFailsNaming("pekko-raft.snapshot.chunk-size", "pekko-raft.snapshot.chunk-size = 100b");
    assertFailsNaming("pekko-raft.snapshot.trailing-entries", "pekko-raft.snapshot.trailing-entries = -5");
  }

  @Test
  void leaseSettingsAreOffByDefaultAndCheckedOnlyWhenOn() {
    // Leases are off unless configured; the margin is checked against election-timeout-min only with leases
    // on, so a group with short election timeouts needs no lease setting at all.
    assertEquals(false, RaftSettings.fromConfig(ConfigFactory.load()).leaseReads());
    RaftSettings fast = parse("pekko-raft { election-timeout-min = 100ms, election-timeout-max = 200ms, heartbeat-interval = 20ms }");
    assertEquals(false, fast.leaseReads());
    RaftSettings on = parse("pekko-raft.read { lease = on, lease-clock-drift-margin = 150ms }");
    assertEquals(Duration.ofMillis(150), on.leaseClockDriftMargin());
    assertFailsNaming("pekko-raft.read.lease-clock-drift-margin", "pekko-raft { election-timeout-min = 100ms,"
        + " election-timeout-max = 200ms, heartbeat-interval = 20ms, read.lease = on }");
    assertFailsNaming("pekko-raft.read.lease", "pekko-raft { check-quorum = off, read.lease = on }");
  }

  @Test
  void overridesAreRead() {
    // Values given in application configuration replace the defaults, with HOCON units.
    RaftSettings s = parse("""
        pekko-raft {
          self-id = "node-2"
          members = [
            { id = "node-1", address = "pekko://c@127.0.0.1:25521" },
            { id = "node-2", address = "pekko://c@127.0.0.1:25522" }
          ]
          election-timeout-min = 300ms
          election-timeout-max = 1s
          heartbeat-interval = 50ms
          pre-vote = off
          check-quorum = off
          random-seed = 7
          replication { batch-entries-max = 64, batch-bytes-max = 64 KiB, window = 2 }
          client { request-bytes-max = 4 KiB, pending-max = 10, ask-timeout = 3s }
          journal-plugin-id = "my-journal"
        }
        """);
    assertEquals("node-2", s.selfId());
    assertEquals(Map.of("node-1", "pekko://c@127.0.0.1:25521", "node-2", "pekko://c@127.0.0.1:25522"), s.members());
    assertEquals(Duration.ofMillis(300), s.electionTimeoutMin());
    assertEquals(Duration.ofSeconds(1), s.electionTimeoutMax());
    assertEquals(Duration.ofMillis(50), s.heartbeatInterval());
    assertEquals(false, s.preVote());
    assertEquals(false, s.checkQuorum());
    assertEquals(7, s.randomSeed());
    assertEquals(64, s.batchEntriesMax());
    assertEquals(64 * 1024, s.batchBytesMax());
    assertEquals(2, s.window());
    assertEquals(4 * 1024, s.requestBytesMax());
    assertEquals(10, s.pendingMax());
    assertEquals(Duration.ofSeconds(3), s.askTimeout());
    assertEquals("my-journal", s.journalPluginId());
  }

  @Test
  void electionTimeoutMinEqualToTheHeartbeatFails() {
    // A minimum election timeout not above the heartbeat interval would time out a live leader.
    assertFailsNaming("pekko-raft.election-timeout-min",
        "pekko-raft { election-timeout-min = 200ms, heartbeat-interval = 200ms }");
  }

  @Test
  void electionTimeoutMinBelowTheHeartbeatFails() {
    // A minimum election timeout below the heartbeat interval is refused, naming the key.
    assertFailsNaming("pekko-raft.election-timeout-min",
        "pekko-raft { election-timeout-min = 100ms, election-timeout-max = 2s }");
  }

  @Test
  void electionTimeoutMaxBelowMinFails() {
    // The random election timeout range [min, max] must not be empty.
    assertFailsNaming("pekko-raft.election-timeout-max",
        "pekko-raft { election-timeout-min = 1500ms, election-timeout-max = 1000ms }");
  }

  @Test
  void electionTimeoutMaxEqualToMinIsAllowed() {
    // A fixed election timeout (min == max) is a legal, if unwise, setting.
    RaftSettings s = parse("pekko-raft { election-timeout-min = 1s, election-timeout-max = 1s }");
    assertEquals(s.electionTimeoutMin(), s.electionTimeoutMax());
  }

  @Test
  void aZeroHeartbeatFails() {
    // The heartbeat interval must be positive.
    assertFailsNaming("pekko-raft.heartbeat-interval", "pekko-raft { heartbeat-interval = 0ms }");
  }

  @Test
  void aZeroWindowFails() {
    // A window of 0 would never send anything; the error names replication.window.
    assertFailsNaming("pekko-raft.replication.window", "pekko-raft.replication.window = 0");
  }

  @Test
  void aZeroBatchSizeFails() {
    // A batch must carry at least one entry.
    assertFailsNaming("pekko-raft.replication.batch-entries-max",
        "pekko-raft.replication.batch-entries-max = 0");
  }

  @Test
  void aTinyBatchByteLimitFails() {
    // The batch byte limit must be at least 1 KiB.
    assertFailsNaming("pekko-raft.replication.batch-bytes-max",
        "pekko-raft.replication.batch-bytes-max = 512 B, pekko-raft.client.request-bytes-max = 100 B");
  }

  @Test
  void aRequestLargerThanABatchFails() {
    // A client request must fit in one AppendEntries batch.
    assertFailsNaming("pekko-raft.client.request-bytes-max",
        "pekko-raft.replication.batch-bytes-max = 64 KiB, pekko-raft.client.request-bytes-max = 65 KiB");
  }

  @Test
  void aZeroPendingLimitFails() {
    // The leader must accept at least one pending command.
    assertFailsNaming("pekko-raft.client.pending-max", "pekko-raft.client.pending-max = 0");
  }

  @Test
  void aKeyRenamedSoThatItsQualifierComesLastFailsNamingTheNewKey() {
    // An old key (qualifier first) would otherwise be ignored in silence, its value with it: the start fails
    // and the message names both the old key and the one to set instead.
    for (String[] renamed : new String[][] {
        {"replication.max-entries-per-batch = 64", "replication.batch-entries-max"},
        {"replication.max-bytes-per-batch = 64 KiB", "replication.batch-bytes-max"},
        {"client.max-request-bytes = 4 KiB", "client.request-bytes-max"},
        {"client.max-pending = 10", "client.pending-max"}}) {
      String oldKey = "pekko-raft." + renamed[0].substring(0, renamed[0].indexOf(' '));
      ConfigException e = assertThrows(ConfigException.class, () -> parse("pekko-raft." + renamed[0]), oldKey);
      assertTrue(e.getMessage().contains(oldKey), "message should name " + oldKey + ": " + e.getMessage());
      assertTrue(e.getMessage().contains("renamed to pekko-raft." + renamed[1]),
          "message should name pekko-raft." + renamed[1] + ": " + e.getMessage());
    }
  }

  @Test
  void aDuplicateMemberIdFails() {
    // Two members with the same id break every Raft guarantee; the error names pekko-raft.members and the id.
    ConfigException e = assertThrows(ConfigException.class, () -> parse("""
        pekko-raft.members = [
          { id = "node-1", address = "pekko://c@127.0.0.1:25521" },
          { id = "node-1", address = "pekko://c@127.0.0.1:25522" }
        ]
        """));
    assertTrue(e.getMessage().contains("pekko-raft.members"), e.getMessage());
    assertTrue(e.getMessage().contains("node-1"), e.getMessage());
  }

  @Test
  void aBlankMemberIdFails() {
    // A member without a usable id is refused, naming pekko-raft.members.
    assertFailsNaming("pekko-raft.members", """
        pekko-raft.members = [ { id = "  ", address = "pekko://c@127.0.0.1:25521" } ]
        """);
  }

  @Test
  void aMemberIdOutsideTheMemberIdRuleFails() {
    // Ids follow MemberIds (1 to 64 of A-Z a-z 0-9 _ . -), as membership changes do: a slash or a space is
    // refused at start, naming pekko-raft.members and the rule.
    ConfigException e = assertThrows(ConfigException.class, () -> parse("""
        pekko-raft.members = [ { id = "node/1", address = "pekko://c@127.0.0.1:25521" } ]
        """));
    assertTrue(e.getMessage().contains("pekko-raft.members") && e.getMessage().contains("'node/1'")
        && e.getMessage().contains("A-Z a-z 0-9 _ . -"), e.getMessage());
    assertFailsNaming("pekko-raft.members", """
        pekko-raft.members = [ { id = "node 1", address = "pekko://c@127.0.0.1:25521" } ]
        """);
  }

  @Test
  void aMemberWithoutAnAddressFails() {
    // Every member needs an address; a missing one fails with a ConfigException naming the key.
    assertFailsNaming("address", "pekko-raft.members = [ { id = \"node-1\" } ]");
  }

  @Test
  void withSelfIdAndWithPreVoteChangeOnlyThatField() {
    // The copy helpers used by multi-node tests keep every other setting.
    RaftSettings s = RaftSettings.fromConfig(ConfigFactory.load());
    RaftSettings t = s.withSelfId("node-3").withPreVote(false).withRandomSeed(99);
    assertEquals("node-3", t.selfId());
    assertEquals(false, t.preVote());
    assertEquals(99, t.randomSeed());
    assertEquals(s.electionTimeoutMin(), t.electionTimeoutMin());
    assertEquals(s.window(), t.window());
    assertEquals(s.members(), t.members());
  }

  @Test
  void leadershipTransferTimeoutDefaultsToTheMinimumElectionTimeout() {
    // 0, the default, follows election-timeout-min, also when that is overridden; a value replaces it.
    assertEquals(Duration.ofMillis(1000), RaftSettings.fromConfig(ConfigFactory.load()).leadershipTransferTimeout());
    assertEquals(Duration.ofMillis(300), parse("pekko-raft.election-timeout-min = 300ms").leadershipTransferTimeout());
    assertEquals(Duration.ofSeconds(3), parse("pekko-raft.leadership-transfer-timeout = 3s").leadershipTransferTimeout());
    assertFailsNaming("pekko-raft.leadership-transfer-timeout", "pekko-raft.leadership-transfer-timeout = -1s");
  }
}
