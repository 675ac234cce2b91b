package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The lab suite's churn (TestReliableChurn2C, TestUnreliableChurn2C): clients keep submitting commands
 * while members crash, restart, are cut off and come back at random; every command a client saw
 * acknowledged as applied must in the end be applied by every member.
 */
class ChurnScenariosTest {

  private static final int CLIENTS = 3;
  private static final int CHAOS_ROUNDS = 20;
  private static final Duration ROUND = Duration.ofMillis(700); // the lab's RaftElectionTimeout * 7 / 10
  private static final long CLIENT_STEP_MS = 10;
  private static final long CLIENT_GIVE_UP_MS = 3000;

  @Test
  void reliableChurn() {
    // On a reliable network, crashes, restarts and isolations never lose a command acknowledged as applied.
    churn(101, false, 50);
  }

  @Test
  void unreliableChurn() {
    // On a network that drops, duplicates and reorders, churn never loses a command acknowledged as applied.
    churn(202, true, 5);
  }

  private static void churn(long seed, boolean unreliable, int acknowledgedMin) {
    try (SimCluster c = SimCluster.start(5, seed)) {
      Random random = new Random(seed);
      c.network.setUnreliable(unreliable);
      List<Client> clients = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) clients.add(new Client(i));
      List<String> acknowledged = new ArrayList<>();
      int submitted = 0;

      for (int round = 0; round < CHAOS_ROUNDS; round++) {
        if (random.nextInt(1000) < 200) c.network.isolate(randomMember(c, random));
        if (random.nextInt(1000) < 500) {
          String m = randomMember(c, random);
          if (!c.isRunning(m)) c.restart(m);
          c.network.reconnect(m);
        }
        if (random.nextInt(1000) < 200) {
          String m = randomMember(c, random);
          if (c.isRunning(m)) c.crash(m);
        }
        long end = c.nowMs() + ROUND.toMillis();
        while (c.nowMs() < end) {
          for (Client client : clients) submitted += client.step(c, random, acknowledged);
          c.advance(Duration.ofMillis(CLIENT_STEP_MS));
        }
      }

      c.network.setUnreliable(false);
      c.network.heal();
      for (String m : c.members()) if (!c.isRunning(m)) c.restart(m);
      // Let the clients' last answers arrive (or time out) before counting what was acknowledged.
      c.advance(Duration.ofMillis(CLIENT_GIVE_UP_MS));
      for (Client client : clients) client.collect(acknowledged);
      c.one("churn-final", 5, true);

      assertTrue(submitted > 100, "the clients kept submitting: " + submitted);
      assertTrue(acknowledged.size() >= acknowledgedMin, "commands were acknowledged: " + acknowledged.size());
      // The final command is applied by all five, and every acknowledged one was committed before it.
      c.checker.assertAcknowledgedAppliedEverywhere(acknowledged);
      c.checker.assertSafe();
    }
  }

  private static String randomMember(SimCluster c, Random random) {
    return c.members().get(random.nextInt(c.members().size()));
  }

  /** One simulated client: one command outstanding at a time, each sent to a random running member. */
  private static final class Client {
    private final int id;
    private int sequence;
    private String command;
    private ReplyBox box;
    private long sentAtMs;

    Client(int id) {
      this.id = id;
    }

    /**
     * Record the answer to the outstanding command; once it is answered or given up on, send a new one
     * (never the same again: its outcome may be unknown). Returns how many commands were sent.
     */
    int step(SimCluster c, Random random, List<String> acknowledged) {
      if (box != null && box.first() == null && c.nowMs() - sentAtMs < CLIENT_GIVE_UP_MS) return 0;
      collect(acknowledged);
      List<String> running = c.members().stream().filter(c::isRunning).toList();
      if (running.isEmpty()) return 0;
      command = "c" + id + "-" + sequence++;
      box = c.submit(running.get(random.nextInt(running.size())), command);
      sentAtMs = c.nowMs();
      return 1;
    }

    void collect(List<String> acknowledged) {
      if (box != null && box.first() instanceof ClientReply.Applied) acknowledged.add(command);
      box = null;
    }
  }
}
