package io.pekkoraft.benchmarks;

import io.pekkoraft.consensus.RaftClient;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The framework's normal client path: a {@link RaftClient} per logical client, on the fourth ActorSystem
 * (in the Pekko Cluster, not a Raft member), reaching the leader over Artery TCP on loopback.
 */
final class RaftClientPath implements ClientPath {

  private final ActorSystem<?> system;

  RaftClientPath(ActorSystem<?> system) {
    this.system = system;
  }

  @Override
  public String description() {
    return "RaftClient (one per client) on a fourth ActorSystem that is in the Pekko Cluster but not a Raft"
        + " member, Artery TCP over loopback; the RaftClients of that system share one connection, which sends"
        + " a request at once while at most 4 are in flight and otherwise gathers requests until the next"
        + " answer (one ClientBatch message per server); the leader answers each system's applied requests"
        + " in one TaggedBatch";
  }

  @Override
  public Client newClient() {
    return wrap(RaftClient.create(system, BenchCluster.GROUP_ID));
  }

  private static Client wrap(RaftClient<Register.Add, Register.Get, Long> client) {
    return new Client() {
      @Override
      public CompletionStage<Long> submit(Register.Add command) {
        return client.submit(command);
      }

      @Override
      public Client withAskTimeout(Duration askTimeout) {
        return wrap(client.withAskTimeout(askTimeout));
      }

      @Override
      public void close() {
        client.close();
      }
    };
  }
}
