package io.pekkoraft.etcd;

import io.grpc.Status;
import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.protocol.ConfigurationChange;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.etcd.api.Cluster;
import io.pekkoraft.etcd.api.MemberAddRequest;
import io.pekkoraft.etcd.api.MemberAddResponse;
import io.pekkoraft.etcd.api.MemberListRequest;
import io.pekkoraft.etcd.api.MemberListResponse;
import io.pekkoraft.etcd.api.MemberPromoteRequest;
import io.pekkoraft.etcd.api.MemberPromoteResponse;
import io.pekkoraft.etcd.api.MemberRemoveRequest;
import io.pekkoraft.etcd.api.MemberRemoveResponse;
import io.pekkoraft.etcd.api.MemberUpdateRequest;
import io.pekkoraft.etcd.api.MemberUpdateResponse;
import io.pekkoraft.etcd.kv.EtcdError;
import java.net.URI;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.grpc.GrpcServiceException;

/**
 * etcd's {@code etcdserverpb.Cluster} on the etcd group's Raft membership ({@link EtcdMembers} says how members,
 * ids and URLs map). MemberAdd with {@code is_learner} adds a learner; without it a voter at once, as etcd does
 * (the group may wait for it to catch up before it commits again), refused like etcd when the voters that are
 * up would not make the new quorum. MemberPromote is refused at once when the learner has not caught up, as
 * etcd refuses it. MemberUpdate cannot move a member: its peer URL is its Pekko address.
 */
final class ClusterService implements Cluster {

  private final EtcdMembers members;

  ClusterService(EtcdMembers members) {
    this.members = members;
  }

  @Override
  public CompletionStage<MemberListResponse> memberList(MemberListRequest in) {
    return members.status().thenApply(st -> MemberListResponse.newBuilder().setHeader(members.header(st.term()))
        .addAllMembers(members.members(st.membership())).build());
  }

  @Override
  public CompletionStage<MemberAddResponse> memberAdd(MemberAddRequest in) {
    // A Pekko Raft member has one address: exactly one peer URL.
    if (in.getPeerURLsCount() != 1) return refused(EtcdError.MEMBER_BAD_URLS);
    Optional<URI> parsed = EtcdMembers.hostPort(in.getPeerURLs(0));
    if (parsed.isEmpty()) return refused(EtcdError.MEMBER_BAD_URLS);
    URI url = parsed.get();
    String name = members.nameFor(url);
    return members.status().thenCompose(st -> {
      Membership m = st.membership();
      for (String other : everyone(m)) {
        String address = members.address(m, other);
        boolean same = address != null && EtcdMembers.peerUrl(address).flatMap(EtcdMembers::hostPort)
            .map(u -> EtcdMembers.sameEndpoint(u, url)).orElse(false);
        if (same) throw KvService.status(EtcdError.PEER_URL_EXISTS);
      }
      if (everyone(m).contains(name)) throw KvService.status(EtcdError.MEMBER_EXISTS);
      if (!in.getIsLearner() && started(st, null) < quorum(voters(m).size() + 1)) {
        throw KvService.status(EtcdError.MEMBER_NOT_ENOUGH_STARTED);
      }
      String address = members.pekkoAddress(url);
      ConfigurationChange change = in.getIsLearner() ? new ConfigurationChange.AddLearner(name, address)
          : new ConfigurationChange.AddVoter(name, address);
      return members.change(change).thenApply(after -> MemberAddResponse.newBuilder()
          .setHeader(members.header(st.term())).setMember(members.member(after, name))
          .addAllMembers(members.members(after)).build());
    });
  }

  @Override
  public CompletionStage<MemberRemoveResponse> memberRemove(MemberRemoveRequest in) {
    return members.status().thenCompose(st -> {
      String name = EtcdMembers.name(st.membership(), in.getID())
          .orElseThrow(() -> KvService.status(EtcdError.MEMBER_NOT_FOUND));
      // As etcd: removing a voter must leave enough voters up for the smaller group's quorum.
      if (st.membership().isVoter(name) && started(st, name) < quorum(voters(st.membership()).size() - 1)) {
        throw KvService.status(EtcdError.MEMBER_NOT_ENOUGH_STARTED);
      }
      return members.change(new ConfigurationChange.Remove(name)).thenApply(after -> MemberRemoveResponse
          .newBuilder().setHeader(members.header(st.term())).addAllMembers(members.members(after)).build());
    });
  }

  @Override
  public CompletionStage<MemberPromoteResponse> memberPromote(MemberPromoteRequest in) {
    return members.status().thenCompose(st -> {
      String name = EtcdMembers.name(st.membership(), in.getID())
          .orElseThrow(() -> KvService.status(EtcdError.MEMBER_NOT_FOUND));
      if (st.membership().isVoter(name)) throw KvService.status(EtcdError.MEMBER_NOT_LEARNER);
      return members.change(new ConfigurationChange.Promote(name)).thenApply(after -> MemberPromoteResponse
          .newBuilder().setHeader(members.header(st.term())).addAllMembers(members.members(after)).build());
    });
  }

  @Override
  public CompletionStage<MemberUpdateResponse> memberUpdate(MemberUpdateRequest in) {
    return members.status().thenApply(st -> {
      Membership m = st.membership();
      String name = EtcdMembers.name(m, in.getID()).orElseThrow(() -> KvService.status(EtcdError.MEMBER_NOT_FOUND));
      String address = members.address(m, name);
      Optional<URI> current = address == null ? Optional.empty()
          : EtcdMembers.peerUrl(address).flatMap(EtcdMembers::hostPort);
      boolean unchanged = in.getPeerURLsCount() == 1 && current.isPresent()
          && EtcdMembers.hostPort(in.getPeerURLs(0)).map(u -> EtcdMembers.sameEndpoint(u, current.get()))
              .orElse(false);
      if (!unchanged) {
        throw new GrpcServiceException(Status.UNIMPLEMENTED.withDescription("etcdserver: a member's peer URL is"
            + " its Pekko address, which cannot change while it is a member: remove it (member remove) and add it"
            + " at its new address (member add)"));
      }
      return MemberUpdateResponse.newBuilder().setHeader(members.header(st.term())).addAllMembers(members.members(m))
          .build();
    });
  }

  private static Set<String> everyone(Membership m) {
    Set<String> all = new HashSet<>(voters(m));
    all.addAll(m.learners());
    return all;
  }

  private static Set<String> voters(Membership m) {
    Set<String> v = new HashSet<>(m.voters());
    v.addAll(m.votersOutgoing());
    return v;
  }

  private static int quorum(int voters) {
    return voters / 2 + 1;
  }

  /** Voters the leader heard from recently (itself included), leaving {@code without} out. */
  private static int started(MembershipReply.Status st, String without) {
    int n = 0;
    for (String v : voters(st.membership())) {
      if (v.equals(without)) continue;
      MembershipReply.MemberProgress p = st.progress().get(v);
      if (v.equals(st.leaderId()) || (p != null && p.recentlyHeard())) n++;
    }
    return n;
  }

  private static <T> CompletionStage<T> refused(EtcdError error) {
    return CompletableFuture.failedFuture(KvService.status(error));
  }
}
