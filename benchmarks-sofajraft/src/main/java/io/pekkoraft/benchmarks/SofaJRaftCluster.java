package io.pekkoraft.benchmarks;

import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.RaftGroupService;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.rpc.RaftRpcServerFactory;
import com.alipay.sofa.jraft.rpc.RpcServer;
import com.alipay.sofa.jraft.util.Endpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * W1's cluster on SOFAJRaft: three members in this JVM, each its own {@link RaftGroupService} with its own RPC
 * server (Bolt) on a free port of 127.0.0.1 and its own log (RocksDB) and metadata under its own directory,
 * every option at SOFAJRaft's default except the paths it needs; no snapshot URI, so no snapshots.
 */
final class SofaJRaftCluster implements AutoCloseable {

  static final String GROUP_ID = "w1-register";
  static final int NODE_COUNT = 3;

  /** One member: its id (address), group service, node and register. */
  record Member(PeerId id, RaftGroupService service, Node node, SofaJRaftRegister register) {}

  private final List<Member> members;
  private final Configuration conf;
  private final NodeOptions options;
  private final long buildStartedNanos;

  private SofaJRaftCluster(List<Member> members, Configuration conf, NodeOptions options, long buildStartedNanos) {
    this.members = members;
    this.conf = conf;
    this.options = options;
    this.buildStartedNanos = buildStartedNanos;
  }

  /**
   * Starts the three members under {@code dataRoot}. Each port is picked free just before the members start
   * (the initial configuration lists every member's address first), as the Pekko Raft run does.
   */
  static SofaJRaftCluster start(Path dataRoot) throws IOException {
    long started = System.nanoTime();
    List<PeerId> peers = new ArrayList<>();
    for (int i = 0; i < NODE_COUNT; i++) peers.add(new PeerId(new Endpoint("127.0.0.1", freePort()), 0));
    Configuration conf = new Configuration(peers);
    List<Member> members = new ArrayList<>();
    NodeOptions first = null;
    for (int i = 0; i < NODE_COUNT; i++) {
      PeerId id = peers.get(i);
      Path dir = Files.createDirectories(dataRoot.resolve("node-" + (i + 1)));
      SofaJRaftRegister register = new SofaJRaftRegister();
      NodeOptions options = new NodeOptions();
      options.setInitialConf(new Configuration(conf));
      options.setFsm(register);
      options.setLogUri(dir.resolve("log").toString());
      options.setRaftMetaUri(dir.resolve("raft_meta").toString());
      // No setSnapshotUri: without one, SOFAJRaft takes no snapshots.
      if (first == null) first = options;
      AtomicReference<Node> node = new AtomicReference<>();
      RpcServer rpcServer = RaftRpcServerFactory.createRaftRpcServer(id.getEndpoint());
      rpcServer.registerProcessor(new SofaJRaftAddProcessor(node::get));
      RaftGroupService service = new RaftGroupService(GROUP_ID, id, options, rpcServer);
      node.set(service.start());
      if (node.get() == null) throw new IllegalStateException("SOFAJRaft member " + id + " did not start (see the log)");
      members.add(new Member(id, service, node.get(), register));
    }
    return new SofaJRaftCluster(List.copyOf(members), conf, first, started);
  }

  /** When the first member took the leader role ({@link System#nanoTime()}), waiting at most {@code timeout}. */
  long awaitFirstLeaderNanos(Duration timeout) throws Exception {
    CompletableFuture<?>[] starts = members.stream().map(m -> m.register().leaderStarted()).toArray(CompletableFuture[]::new);
    CompletableFuture.anyOf(starts).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    return members.stream().map(m -> m.register().leaderStarted()).filter(CompletableFuture::isDone)
        .mapToLong(CompletableFuture::join).min().orElseThrow();
  }

  /** The member that leads now, if any. */
  Member leader() {
    return members.stream().filter(m -> m.node().isLeader()).findFirst()
        .orElseThrow(() -> new IllegalStateException("no SOFAJRaft member is leader"));
  }

  /**
   * Every member's register, once each has reached {@code atLeast} or {@code timeout} has passed (the
   * followers apply what the leader acknowledged when they learn the commit index).
   */
  Map<String, Long> registersReaching(long atLeast, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (members.stream().anyMatch(m -> m.register().value() < atLeast) && System.nanoTime() - deadline < 0) {
      Thread.sleep(10);
    }
    Map<String, Long> values = new LinkedHashMap<>();
    for (Member m : members) values.put(m.id().toString(), m.register().value());
    return values;
  }

  Configuration conf() {
    return conf;
  }

  /** The first member's options (all three have the same, but for their paths and state machine). */
  NodeOptions nodeOptions() {
    return options;
  }

  long buildStartedNanos() {
    return buildStartedNanos;
  }

  @Override
  public void close() {
    for (Member m : members) m.service().shutdown();
    for (Member m : members) {
      try {
        m.service().join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on 127.0.0.1", e);
    }
  }
}
