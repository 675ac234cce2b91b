package io.pekkoraft.testkit.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.testkit.LocalCluster;
import io.pekkoraft.testkit.cluster.ArteryClusterTest.ListQuery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * What the Artery tests share on top of a {@link LocalCluster}: one group running
 * {@link ArteryClusterTest.ListStateMachine} (string commands, a {@link ListQuery}, long results) on
 * artery-cluster-test.conf, a client system, and commands submitted through every member at once. Each
 * test then states only what it checks, not how three clustered nodes are started, watched and stopped.
 */
final class ArteryTestNodes implements AutoCloseable {

  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration ELECTION_WAIT = Duration.ofSeconds(15);

  private final String groupId;
  private final LocalCluster cluster;
  private final Map<String, RaftGroup<String, ListQuery, Long>> groups = new LinkedHashMap<>();

  private ArteryTestNodes(String groupId, LocalCluster cluster) {
    this.groupId = groupId;
    this.cluster = cluster;
  }

  /**
   * Starts {@code memberCount} ActorSystems that form one cluster, and a client system. The group itself is
   * not started yet: a test may decorate it first ({@link #initGroups}).
   */
  static ArteryTestNodes start(String groupId, int memberCount) {
    return new ArteryTestNodes(groupId, LocalCluster.builder()
        .members(memberCount)
        .config(ConfigFactory.parseResources("artery-cluster-test.conf", ConfigParseOptions.defaults().setAllowMissing(false)))
        .withClientSystem()
        .start());
  }

  /** Starts the group on every member, each with the description {@code spec} gives for its member id. */
  void initGroups(Function<String, ReplicatedStateMachine<String, ListQuery, Long>> spec) {
    groups.putAll(cluster.init(spec));
  }

  /** Starts the group on every member as {@code ReplicatedStateMachine.of(groupId, ListStateMachine::new)}. */
  void initGroups() {
    initGroups(memberId -> ReplicatedStateMachine.of(groupId, ArteryClusterTest.ListStateMachine::new));
  }

  /** A cluster node that is no member: the place for a RaftClient. */
  ActorSystem<Void> clientSystem() {
    return cluster.clientSystem();
  }

  List<String> memberIds() {
    return cluster.memberIds();
  }

  ActorSystem<Void> system(String memberId) {
    return cluster.system(memberId);
  }

  RaftGroup<String, ListQuery, Long> group(String memberId) {
    return groups.get(memberId);
  }

  /** Terminates one member's ActorSystem and waits until it has terminated. */
  void terminate(String memberId) throws Exception {
    cluster.terminate(memberId).get(LocalCluster.STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Waits until one live member leads a term above {@code aboveTerm} and every other live member follows it. */
  RoleChanged awaitLeaderKnownToAll(long aboveTerm) {
    return cluster.awaitLeader(groupId, aboveTerm, ELECTION_WAIT);
  }

  /**
   * {@code perNode} commands ({@code prefix-member-i}) submitted on each of {@code members} at once; every one
   * must be acknowledged. Returns the results, sorted.
   */
  List<Long> submitFromEach(List<String> members, String prefix, int perNode) throws Exception {
    Map<String, CompletableFuture<Long>> pending = new LinkedHashMap<>();
    for (String member : members) {
      for (int i = 0; i < perNode; i++) {
        String command = prefix + "-" + member + "-" + i;
        pending.put(command, groups.get(member).submit(command).toCompletableFuture());
      }
    }
    CompletableFuture.allOf(pending.values().toArray(new CompletableFuture<?>[0]))
        .exceptionally(failure -> null) // each failure is reported below, by command
        .get(REQUEST_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
    List<String> failed = new ArrayList<>();
    pending.forEach((command, result) -> {
      if (result.isCompletedExceptionally()) failed.add(command + ": " + result.handle((r, e) -> String.valueOf(e)).join());
    });
    assertTrue(failed.isEmpty(), "commands not acknowledged: " + failed);
    return pending.values().stream().map(CompletableFuture::join).sorted().toList();
  }

  /** The stage's value, waiting at most {@link #REQUEST_TIMEOUT}. */
  static <T> T get(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Terminates the client system, then every member, and deletes their data. */
  @Override
  public void close() {
    cluster.close();
  }
}
