package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.ClientEnvelope;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Requests that a client system sends together ({@code ClientBatch}) are handled exactly as if each had
 * arrived alone, in order, and the answers for one client actor travel together ({@code TaggedBatch}).
 */
class ClientBatchScenariosTest {

  private static List<String> commands(String prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(prefix + i);
    return out;
  }

  /** The answers the box holds, by tag; fails on an untagged answer or a tag answered twice. */
  private static Map<Long, ClientReply> byTag(ReplyBox box) {
    Map<Long, ClientReply> answers = new TreeMap<>();
    for (ClientEnvelope message : box.all()) {
      List<ClientEnvelope.Tagged> tagged = message instanceof ClientEnvelope.TaggedBatch batch ? batch.replies()
          : List.of(assertInstanceOf(ClientEnvelope.Tagged.class, message, "every answer carries its tag"));
      for (ClientEnvelope.Tagged t : tagged) {
        ClientReply before = answers.put(t.tag(), t.reply());
        assertEquals(null, before, "tag " + t.tag() + " answered twice");
      }
    }
    return answers;
  }

  @Test
  void leaderAppliesABatchInOrderAndAnswersItTogether() {
    try (SimCluster c = SimCluster.start(3, 61)) {
      String leader = c.awaitOneLeader(Duration.ofSeconds(5));
      List<String> batch = commands("b", 20);
      ReplyBox box = c.submitBatch(leader, batch, 1);
      assertTrue(c.advanceUntil(() -> byTag(box).size() == 20, Duration.ofSeconds(2)), "answers: " + box.all());
      Map<Long, ClientReply> answers = byTag(box);
      long previousIndex = 0;
      for (long tag = 1; tag <= 20; tag++) {
        ClientReply.Applied applied = assertInstanceOf(ClientReply.Applied.class, answers.get(tag), "tag " + tag);
        assertEquals(tag, applied.result(), "the " + tag + "th command applied is the " + tag + "th of the batch");
        assertTrue(applied.index() > previousIndex, "log order follows batch order");
        previousIndex = applied.index();
      }
      assertTrue(box.all().size() < 20, "answers applied together travel together: " + box.all().size() + " messages");
      assertTrue(box.all().stream().anyMatch(m -> m instanceof ClientEnvelope.TaggedBatch));
      assertTrue(c.advanceUntil(() -> c.members().stream().allMatch(m -> c.checker.applied(m).equals(batch)),
          Duration.ofSeconds(2)), "every member applies the batch, in order");
      c.checker.assertSafe();
    }
  }

  @Test
  void readsInABatchSeeEveryCommandAcknowledgedBeforeIt() {
    // Linearizable reads in a batch: one after acknowledged commands sees them; one sent together with
    // commands not yet acknowledged may or may not see those (they are concurrent with it), never more.
    try (SimCluster c = SimCluster.start(3, 62)) {
      String leader = c.awaitOneLeader(Duration.ofSeconds(5));
      ReplyBox first = c.submitBatch(leader, List.of("r0", "r1", "r2"), 1);
      assertTrue(c.advanceUntil(() -> byTag(first).size() == 3, Duration.ofSeconds(2)), "answers: " + first.all());
      ReplyBox second = c.submitBatch(leader, List.of("?", "r3", "r4", "?"), 1);
      assertTrue(c.advanceUntil(() -> byTag(second).size() == 4, Duration.ofSeconds(2)), "answers: " + second.all());
      long early = (Long) assertInstanceOf(ClientReply.Applied.class, byTag(second).get(1L)).result();
      long late = (Long) assertInstanceOf(ClientReply.Applied.class, byTag(second).get(4L)).result();
      assertTrue(early >= 3 && early <= 5, "the first read sees the 3 acknowledged commands: " + early);
      assertTrue(late >= early && late <= 5, "reads never go back: " + early + " then " + late);
      c.checker.assertSafe();
    }
  }

  @Test
  void followerAnswersEveryRequestOfABatchWithTheLeader() {
    // With hops 1 (a client that follows redirects itself) a follower applies nothing and names the leader.
    try (SimCluster c = SimCluster.start(3, 63)) {
      String leader = c.awaitOneLeader(Duration.ofSeconds(5));
      c.one("first", 3, false);
      String follower = c.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
      ReplyBox box = c.submitBatch(follower, commands("f", 5), 1);
      assertTrue(c.advanceUntil(() -> byTag(box).size() == 5, Duration.ofSeconds(1)), "answers: " + box.all());
      for (ClientReply reply : byTag(box).values()) {
        assertEquals(new ClientReply.NotLeader(leader), reply);
      }
      c.advance(Duration.ofMillis(500));
      assertEquals(List.of("first"), c.checker.applied(leader), "nothing of the batch was applied");
    }
  }

  @Test
  void followerForwardsABatchOnceWhenAllowed() {
    // With hops 0 a follower forwards each request to the leader, which applies them all.
    try (SimCluster c = SimCluster.start(3, 64)) {
      String leader = c.awaitOneLeader(Duration.ofSeconds(5));
      String follower = c.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
      ReplyBox box = c.submitBatch(follower, commands("g", 6), 0);
      assertTrue(c.advanceUntil(() -> byTag(box).size() == 6, Duration.ofSeconds(2)), "answers: " + box.all());
      for (ClientReply reply : byTag(box).values()) assertInstanceOf(ClientReply.Applied.class, reply);
      assertTrue(c.advanceUntil(() -> c.checker.applied(leader).equals(commands("g", 6)), Duration.ofSeconds(1)));
    }
  }
}
