package io.pekkoraft.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/** INTERIM: member RaftGroups until RaftClient lands. */
final class ClientPaths {

  private ClientPaths() {}

  static ClientPath of(BenchCluster cluster) {
    AtomicInteger next = new AtomicInteger();
    return new ClientPath() {
      @Override
      public String description() {
        return "INTERIM RaftGroup of a member";
      }

      @Override
      public Client newClient() {
        return command -> {
          List<BenchCluster.Node> nodes = new ArrayList<>(cluster.nodes().values());
          if (nodes.isEmpty()) return CompletableFuture.failedFuture(new IllegalStateException("no nodes"));
          return nodes.get(Math.floorMod(next.getAndIncrement(), nodes.size())).group().submit(command);
        };
      }

      @Override
      public Client newClient(Duration askTimeout) {
        return newClient();
      }
    };
  }
}
