package io.pekkoraft.samples.lock;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.samples.lock.LockStateMachine.GetLock;
import io.pekkoraft.samples.lock.LockStateMachine.LockCommand;
import io.pekkoraft.samples.lock.LockStateMachine.LockResult;
import io.pekkoraft.testkit.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated lock with fencing tokens, and the pause that breaks locks without them: three nodes, each its
 * own ActorSystem talking to the others over Artery TCP on 127.0.0.1 (in one JVM, through the testkit's
 * {@link LocalCluster}), run one Raft group of {@link LockStateMachine}, each with its Raft log in the durable
 * journal under the data directory. Client A, on node-1, acquires the lock with a lease of 2 s and writes to a
 * {@link FencedStorage} with its fencing token; then it is paused for 3 s, past its lease. Client B, on node-3,
 * asks for the lock until A's lease has passed in log time, gets it with a higher token and writes. A wakes up
 * and writes with its old token: the storage rejects the write. The sample prints each step ({@link
 * LockScenario}) and exits 0 when everything behaved, 1 otherwise.
 *
 * <p>The data directory is the first program argument, else the system property {@code lock.data}, else
 * {@code lock-data} in the working directory. A second run continues the same log: its tokens are higher.
 *
 * <p>Run it from the repository root:
 * {@code mvn -B -q -pl samples -am install -DskipTests && mvn -B -q -pl samples exec:java -Dexec.mainClass=io.pekkoraft.samples.lock.LockSample}.
 */
public final class LockSample {

  private static final Logger log = LoggerFactory.getLogger(LockSample.class);

  static final String GROUP_ID = "lock";
  private static final String SYSTEM_NAME = "lock";
  private static final String DATA_PROPERTY = "lock.data";
  private static final String DATA_DEFAULT = "lock-data";
  private static final Duration LEASE = Duration.ofSeconds(2);
  private static final Duration PAUSE = Duration.ofSeconds(3);
  /** Bound on each step that waits: an election, a command, a retry. */
  static final Duration STEP_TIMEOUT = Duration.ofSeconds(20);

  private LockSample() {}

  public static void main(String[] args) {
    boolean ok = false;
    try {
      LockScenario.Outcome outcome = run(dataDir(args), LEASE, PAUSE, line -> log.info(line));
      ok = outcome.behaved();
      if (ok) {
        log.info("OK: the stale holder's write was rejected by its fencing token; tokens {} < {}.",
            outcome.a().token(), outcome.b().token());
      } else {
        log.error("FAILED: the lock or the storage did not behave: {}", outcome);
      }
    } catch (Exception e) {
      log.error("The sample stopped early: {}", e.toString(), e);
    }
    log.info(ok ? "Done." : "Done, with a failed check (exit code 1).");
    System.exit(ok ? 0 : 1);
  }

  /**
   * Starts three nodes with their data under {@code dataDir} (a temporary directory, deleted after, if null),
   * runs the {@link LockScenario} with client A on node-1 and client B on node-3, and stops the nodes.
   */
  static LockScenario.Outcome run(Path dataDir, Duration lease, Duration pause, Consumer<String> say) throws Exception {
    LocalCluster.Builder builder = LocalCluster.builder()
        .members(3)
        .systemName(SYSTEM_NAME)
        .config(ConfigFactory.parseResources(LockSample.class.getClassLoader(), "lock.conf",
            ConfigParseOptions.defaults().setAllowMissing(false)));
    if (dataDir != null) builder.dataDir(dataDir);
    say.accept("Starting 3 nodes" + (dataDir != null ? ", their Raft logs in " + dataDir : "") + "...");
    try (LocalCluster cluster = builder.start()) {
      Map<String, RaftGroup<LockCommand, GetLock, LockResult>> lock =
          cluster.init(id -> ReplicatedStateMachine.of(GROUP_ID, LockStateMachine::new));
      LocalCluster.RoleSeen leader = cluster.leaderKnownTo(GROUP_ID, List.copyOf(lock.keySet()), 0)
          .get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      say.accept(leader.change().memberId() + " leads the group \"" + GROUP_ID + "\" in term " + leader.change().term()
          + "; client A talks to node-1, client B to node-3.");
      LockScenario.Outcome outcome = new LockScenario(lock.get("node-1"), lock.get("node-3"), new FencedStorage(),
          lease, pause, STEP_TIMEOUT, say).run();
      LockResult state = lock.get("node-2").read(GetLock.INSTANCE).toCompletableFuture()
          .get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      say.accept("The lock, read linearizably through node-2: " + state + ".");
      return outcome;
    }
  }

  /** The first program argument, else the system property lock.data, else ./lock-data. */
  private static Path dataDir(String[] args) {
    String named = args.length > 0 && !args[0].isBlank() ? args[0] : System.getProperty(DATA_PROPERTY, DATA_DEFAULT);
    return Path.of(named).toAbsolutePath().normalize();
  }
}
