package io.pekkoraft.samples.counter;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.behavior.EntityRef;
import io.pekkoraft.consensus.behavior.ReplicatedEntities;
import io.pekkoraft.consensus.behavior.ReplicatedEntity;
import io.pekkoraft.consensus.behavior.ReplicatedEntityGroup;
import io.pekkoraft.testkit.LocalCluster;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated counter as replicated entities ({@link CounterBehavior}): three nodes in one JVM (Artery
 * TCP on 127.0.0.1, through the testkit's {@link LocalCluster}) run one Raft group "counters" holding two
 * counters, "apples" and "pears". Increments go through every node's {@link EntityRef}s, the leader's node
 * stops, increments go on through the other two, a node outside the group increments through its own
 * entity ref ({@code ReplicatedEntities.initClient}), and every node must read the same values. Exit code 0
 * when the checks hold.
 *
 * <p>Run it from the repository root:
 * {@code mvn -B -q -pl samples -am install -DskipTests && mvn -B -q -pl samples exec:java -Dexec.mainClass=io.pekkoraft.samples.counter.CounterBehaviorSample}.
 */
public final class CounterBehaviorSample {

  private static final Logger log = LoggerFactory.getLogger(CounterBehaviorSample.class);

  static final String GROUP_ID = "counters";
  private static final Duration ASK = Duration.ofSeconds(10);
  private static final int INCREMENTS = 20;

  private CounterBehaviorSample() {}

  public static void main(String[] args) {
    boolean ok = false;
    try {
      ok = run(line -> log.info(line));
    } catch (Exception e) {
      log.error("The sample stopped early: {}", e.toString(), e);
    }
    log.info(ok ? "Done." : "Done, with a failed check (exit code 1).");
    System.exit(ok ? 0 : 1);
  }

  /** Runs the sample on a fresh cluster (data in a temporary directory); true when every check held. */
  static boolean run(Consumer<String> say) throws Exception {
    try (LocalCluster cluster = LocalCluster.builder()
        .members(3)
        .withClientSystem()
        .systemName("counters")
        .config(ConfigFactory.parseResources(CounterBehaviorSample.class.getClassLoader(), "counter.conf",
            ConfigParseOptions.defaults().setAllowMissing(false)))
        .start()) {
      Map<String, ReplicatedEntityGroup<CounterBehavior.Command>> counters = new LinkedHashMap<>();
      for (String id : cluster.memberIds()) {
        counters.put(id, ReplicatedEntities.get(cluster.system(id))
            .init(ReplicatedEntity.of(GROUP_ID, CounterBehavior::new)));
      }
      RoleChanged leader = cluster.awaitLeader(GROUP_ID, 0, LocalCluster.STEP_TIMEOUT);
      say.accept(leader.memberId() + " leads group " + GROUP_ID + " in term " + leader.term());

      long expected = increments(counters, say);
      say.accept("Stopping the leader's node " + leader.memberId() + "...");
      counters.remove(leader.memberId());
      cluster.terminate(leader.memberId()).get(LocalCluster.STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      RoleChanged next = cluster.awaitLeader(GROUP_ID, leader.term(), LocalCluster.STEP_TIMEOUT);
      say.accept(next.memberId() + " took over in term " + next.term());
      expected += increments(counters, say);

      ReplicatedEntityGroup<CounterBehavior.Command> outside =
          ReplicatedEntities.get(cluster.clientSystem()).initClient(ReplicatedEntity.of(GROUP_ID, CounterBehavior::new));
      long viaClient = outside.entityRefFor("apples")
          .<Long>ask(replyTo -> new CounterBehavior.Increment(1, replyTo), ASK).toCompletableFuture()
          .get(ASK.toSeconds() * 2, TimeUnit.SECONDS);
      say.accept("A node outside the group incremented apples to " + viaClient);
      boolean ok = viaClient == expected + 1;
      for (Map.Entry<String, ReplicatedEntityGroup<CounterBehavior.Command>> node : counters.entrySet()) {
        for (String counter : List.of("apples", "pears")) {
          long value = get(node.getValue().entityRefFor(counter));
          say.accept(node.getKey() + " reads " + counter + " = " + value);
          ok &= value == (counter.equals("apples") ? expected + 1 : expected);
        }
      }
      return ok;
    }
  }

  /** {@link #INCREMENTS} increments of 1 to each counter, through every node; the sum of them all. */
  private static long increments(Map<String, ReplicatedEntityGroup<CounterBehavior.Command>> counters,
      Consumer<String> say) throws Exception {
    List<ReplicatedEntityGroup<CounterBehavior.Command>> nodes = List.copyOf(counters.values());
    for (int i = 0; i < INCREMENTS; i++) {
      ReplicatedEntityGroup<CounterBehavior.Command> via = nodes.get(i % nodes.size());
      CompletableFuture<Long> apples = via.entityRefFor("apples")
          .<Long>ask(replyTo -> new CounterBehavior.Increment(1, replyTo), ASK).toCompletableFuture();
      CompletableFuture<Long> pears = via.entityRefFor("pears")
          .<Long>ask(replyTo -> new CounterBehavior.Increment(1, replyTo), ASK).toCompletableFuture();
      CompletableFuture.allOf(apples, pears).get(ASK.toSeconds() * 2, TimeUnit.SECONDS);
    }
    say.accept(INCREMENTS + " increments of each counter acknowledged, through " + String.join(", ", counters.keySet()));
    return INCREMENTS;
  }

  private static long get(EntityRef<CounterBehavior.Command> counter) throws Exception {
    return counter.<Long>ask(CounterBehavior.GetValue::new, ASK).toCompletableFuture().get(ASK.toSeconds() * 2, TimeUnit.SECONDS);
  }
}
