package io.pekkoraft.etcd;

import com.typesafe.config.Config;
import io.grpc.Status;
import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.protocol.ConfigurationChange;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipReply.RefusalReason;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.etcd.api.Member;
import io.pekkoraft.etcd.api.ResponseHeader;
import io.pekkoraft.etcd.kv.EtcdError;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.grpc.GrpcServiceException;

/**
 * The etcd group's membership as etcd's Cluster API shows it, and the membership requests the Cluster and
 * Maintenance services make. Each Pekko Raft member is an etcd member whose ID is {@link EtcdIds#memberId} of its
 * name, whose peer URL is {@code http://host:port} of its Pekko (Artery) address (from the configuration in
 * effect, else {@code pekko-raft.members}) and whose client URLs are {@code pekko-raft.etcd.client-urls} for it.
 *
 * <p>Requests go to this member's server (hops 0), which forwards them to the leader; while no leader is known
 * (NotLeader), or the leader refuses for a retryable reason other than NOT_CAUGHT_UP, they are asked again
 * every {@link #RETRY_PAUSE} until {@code pekko-raft.client.ask-timeout}. NOT_CAUGHT_UP is answered at once, as
 * etcd refuses to promote a learner that is not in sync.
 */
final class EtcdMembers {

  static final Duration RETRY_PAUSE = Duration.ofMillis(50);

  private final ActorSystem<?> system;
  private final RaftGroup<?, ?, ?> group;
  private final Duration timeout;
  private final long clusterId;
  private final long memberId;
  /** The members of {@code pekko-raft.members}: name -> Pekko address. */
  private final Map<String, String> bootstrap = new HashMap<>();
  /** {@code pekko-raft.etcd.client-urls}: name -> URLs. */
  private final Map<String, List<String>> clientUrls = new HashMap<>();

  EtcdMembers(ActorSystem<?> system, RaftGroup<?, ?, ?> group) {
    this.system = system;
    this.group = group;
    Config config = system.settings().config();
    this.timeout = config.getDuration("pekko-raft.client.ask-timeout");
    this.clusterId = EtcdIds.clusterId(group.groupId());
    this.memberId = EtcdIds.memberId(group.memberId());
    for (Config m : config.getConfigList("pekko-raft.members")) bootstrap.put(m.getString("id"), m.getString("address"));
    Config urls = config.getConfig(EtcdSettings.PATH + ".client-urls");
    for (String name : urls.root().keySet()) {
      List<String> list = urls.getStringList(com.typesafe.config.ConfigUtil.joinPath(name));
      for (String url : list) {
        if (hostPort(url).isEmpty()) {
          throw new IllegalArgumentException(EtcdSettings.PATH + ".client-urls." + name + ": '" + url
              + "' is not an http(s)://host:port URL");
        }
      }
      clientUrls.put(name, List.copyOf(list));
    }
  }

  ActorSystem<?> system() {
    return system;
  }

  Duration timeout() {
    return timeout;
  }

  ResponseHeader header(long term) {
    return ResponseHeader.newBuilder().setClusterId(clusterId).setMemberId(memberId).setRaftTerm(term).build();
  }

  // ---- the view ----

  /** The leader's view of the group (its membership, term and each member's progress). */
  CompletionStage<MembershipReply.Status> status() {
    long deadline = System.nanoTime() + timeout.toNanos();
    return ask(replyTo -> new MembershipRequest.GetMembership(0, replyTo), deadline).thenApply(reply -> {
      if (reply instanceof MembershipReply.Status s) return s;
      throw unexpected(reply);
    });
  }

  /** Every member (voters, outgoing voters, learners), ordered by etcd member id as etcd lists them. */
  List<Member> members(Membership m) {
    TreeSet<String> names = new TreeSet<>(m.voters());
    names.addAll(m.votersOutgoing());
    names.addAll(m.learners());
    List<Member> out = new ArrayList<>();
    for (String name : names) out.add(member(m, name));
    out.sort((a, b) -> Long.compareUnsigned(a.getID(), b.getID()));
    return out;
  }

  Member member(Membership m, String name) {
    Member.Builder b = Member.newBuilder().setID(EtcdIds.memberId(name)).setName(name)
        .setIsLearner(!m.isVoter(name));
    String address = address(m, name);
    if (address != null) peerUrl(address).ifPresent(b::addPeerURLs);
    b.addAllClientURLs(clientUrls.getOrDefault(name, List.of()));
    return b.build();
  }

  /** The Pekko address of {@code name}: recorded by the configuration in effect, else in pekko-raft.members. */
  String address(Membership m, String name) {
    String recorded = m.addresses().get(name);
    return recorded != null ? recorded : bootstrap.get(name);
  }

  /** The member whose etcd id is {@code id}, if any. */
  static Optional<String> name(Membership m, long id) {
    TreeSet<String> names = new TreeSet<>(m.voters());
    names.addAll(m.votersOutgoing());
    names.addAll(m.learners());
    return names.stream().filter(n -> EtcdIds.memberId(n) == id).findFirst();
  }

  /** {@code http://host:port} of a Pekko address ({@code pekko://system@host:port}). */
  static Optional<String> peerUrl(String pekkoAddress) {
    try {
      Address a = AddressFromURIString.parse(pekkoAddress);
      if (a.getHost().isEmpty() || a.getPort().isEmpty()) return Optional.empty();
      String host = a.getHost().get();
      return Optional.of("http://" + (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":"
          + a.getPort().get());
    } catch (RuntimeException notAnAddress) {
      return Optional.empty();
    }
  }

  /** The host and port of an {@code http://} or {@code https://} URL without path, query or user; else empty. */
  static Optional<URI> hostPort(String url) {
    try {
      URI u = new URI(url);
      boolean ok = u.getScheme() != null && (u.getScheme().equals("http") || u.getScheme().equals("https"))
          && u.getHost() != null && u.getPort() > 0 && u.getUserInfo() == null && u.getQuery() == null
          && u.getFragment() == null && (u.getRawPath() == null || u.getRawPath().isEmpty()
          || u.getRawPath().equals("/"));
      return ok ? Optional.of(u) : Optional.empty();
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
  }

  /**
   * The member name MemberAdd gives the member at {@code url} (etcd's request carries no name): the member of
   * {@code pekko-raft.members} at that host and port if there is one, else {@code <host>-<port>} with every
   * character outside {@code A-Z a-z 0-9 . _ -} replaced by {@code _} (the new node's {@code pekko-raft.self-id}).
   */
  String nameFor(URI url) {
    for (Map.Entry<String, String> e : bootstrap.entrySet()) {
      if (peerUrl(e.getValue()).flatMap(EtcdMembers::hostPort).map(u -> sameEndpoint(u, url)).orElse(false)) {
        return e.getKey();
      }
    }
    String host = url.getHost().replaceAll("[^A-Za-z0-9._-]", "_");
    return host + "-" + url.getPort();
  }

  /** The Pekko address MemberAdd records for {@code url}: this system's name at the URL's host and port. */
  String pekkoAddress(URI url) {
    return "pekko://" + system.name() + "@" + url.getHost() + ":" + url.getPort();
  }

  static boolean sameEndpoint(URI a, URI b) {
    return a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort();
  }

  // ---- changes ----

  /** Makes {@code change}; answers the membership it made, or fails with etcd's error. */
  CompletionStage<Membership> change(ConfigurationChange change) {
    long deadline = System.nanoTime() + timeout.toNanos();
    return changeUntil(change, deadline);
  }

  private CompletionStage<Membership> changeUntil(ConfigurationChange change, long deadline) {
    return ask(replyTo -> new MembershipRequest.ChangeMembership(change, MembershipRequest.ANY_CONFIGURATION, 0,
        replyTo), deadline).thenCompose(reply -> {
          if (reply instanceof MembershipReply.Changed c) return CompletableFuture.completedFuture(c.membership());
          if (reply instanceof MembershipReply.Refused r && r.reason().retryable
              && r.reason() != RefusalReason.NOT_CAUGHT_UP && System.nanoTime() + RETRY_PAUSE.toNanos() < deadline) {
            return later().thenCompose(x -> changeUntil(change, deadline));
          }
          throw unexpected(reply);
        });
  }

  /** Asks this member's server, again after a pause while it knows no leader, until {@code deadline}. */
  CompletionStage<MembershipReply> ask(Function<ActorRef<MembershipReply>, MembershipRequest> make, long deadline) {
    long remaining = deadline - System.nanoTime();
    if (remaining <= 0) return CompletableFuture.failedFuture(KvService.status(EtcdError.NO_LEADER));
    ActorRef<ServerCommand> server = group.server();
    return AskPattern.<ServerCommand, MembershipReply>ask(server, make::apply, Duration.ofNanos(remaining),
            system.scheduler())
        .exceptionallyCompose(f -> CompletableFuture.failedFuture(failed(f)))
        .thenComposeAsync(reply -> {
          if (!(reply instanceof MembershipReply.NotLeader)) return CompletableFuture.completedFuture(reply);
          if (System.nanoTime() + RETRY_PAUSE.toNanos() >= deadline) {
            return CompletableFuture.failedFuture(KvService.status(EtcdError.NO_LEADER));
          }
          return later().thenCompose(x -> ask(make, deadline));
        }, system.executionContext());
  }

  private CompletionStage<Void> later() {
    return CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(RETRY_PAUSE.toMillis(),
        TimeUnit.MILLISECONDS, system.executionContext()));
  }

  private static GrpcServiceException failed(Throwable f) {
    Throwable t = f instanceof CompletionException && f.getCause() != null ? f.getCause() : f;
    if (t instanceof GrpcServiceException g) return g;
    if (t instanceof java.util.concurrent.TimeoutException) return KvService.status(EtcdError.TIMEOUT);
    return KvService.failed(t);
  }

  /** A refusal (or a lost outcome) as etcd's error. */
  static GrpcServiceException unexpected(MembershipReply reply) {
    if (reply instanceof MembershipReply.Refused r) {
      return switch (r.reason()) {
        case NOT_A_MEMBER -> KvService.status(EtcdError.MEMBER_NOT_FOUND);
        case ALREADY_A_MEMBER -> KvService.status(EtcdError.MEMBER_EXISTS);
        case NOT_A_LEARNER -> KvService.status(EtcdError.MEMBER_NOT_LEARNER);
        case NOT_CAUGHT_UP -> KvService.status(EtcdError.LEARNER_NOT_READY);
        case WOULD_REMOVE_LAST_VOTER -> KvService.status(EtcdError.MEMBER_NOT_ENOUGH_STARTED);
        case INVALID_REQUEST -> KvService.status(EtcdError.MEMBER_BAD_URLS);
        default -> r.reason().retryable ? KvService.status(EtcdError.TIMEOUT)
            : new GrpcServiceException(Status.FAILED_PRECONDITION.withDescription("etcdserver: membership change"
                + " refused: " + r.reason() + ": " + r.message()));
      };
    }
    if (reply instanceof MembershipReply.OutcomeUnknown u) {
      return new GrpcServiceException(Status.UNAVAILABLE.withDescription("etcdserver: leader changed (the change"
          + " may still take effect: list the members before trying again): " + u.reason()));
    }
    return new GrpcServiceException(Status.INTERNAL.withDescription("etcdserver: unexpected answer " + reply));
  }
}
