package io.pekkoraft.consensus.impl;

import com.esotericsoftware.kryo.Kryo;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.protocol.ClientBatch;
import io.pekkoraft.consensus.protocol.ClientEnvelope;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.consensus.protocol.TransferLeadership;
import io.pekkoraft.consensus.protocol.TransferReply;
import io.pekkoraft.consensus.protocol.ConfigurationChange;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import io.pekkoraft.persistence.serialization.KryoRegistrar;
import org.apache.pekko.annotation.InternalApi;

/**
 * Ids 200-299: the messages Raft servers and clients exchange. Never renumber an id or reuse a retired one:
 * nodes of different versions must read each other's messages during a rolling upgrade.
 *
 * <p>The messages sent most often have hand-written serializers ({@link ProtocolSerializers}), whose
 * layouts are part of the wire format just as the ids are; the others go through Kryo's record
 * serializer. Registered after {@code PersistenceKryoRegistrar}, whose LogEntry serializer
 * AppendEntries uses.
 */
@InternalApi
public final class ConsensusKryoRegistrar implements KryoRegistrar {

  public ConsensusKryoRegistrar() {}

  @Override
  public void register(Kryo kryo) {
    kryo.register(RaftMessage.RequestVote.class, new ProtocolSerializers.RequestVoteSerializer(), 200);
    kryo.register(
        RaftMessage.RequestVoteResponse.class, new ProtocolSerializers.RequestVoteResponseSerializer(), 201);
    kryo.register(RaftMessage.AppendEntries.class, new ProtocolSerializers.AppendEntriesSerializer(), 202);
    kryo.register(
        RaftMessage.AppendEntriesResponse.class, new ProtocolSerializers.AppendEntriesResponseSerializer(), 203);
    kryo.register(RaftMessage.Heartbeat.class, new ProtocolSerializers.HeartbeatSerializer(), 204);
    kryo.register(RaftMessage.HeartbeatResponse.class, new ProtocolSerializers.HeartbeatResponseSerializer(), 205);
    kryo.register(RaftMessage.InstallSnapshot.class, 206);
    kryo.register(RaftMessage.InstallSnapshotResponse.class, 207);

    kryo.register(ClientRequest.ClientCommand.class, new ProtocolSerializers.ClientCommandSerializer(), 220);
    kryo.register(ClientRequest.ClientQuery.class, new ProtocolSerializers.ClientQuerySerializer(), 221);
    kryo.register(ReadConsistency.class, 222);
    kryo.register(ClientBatch.class, new ProtocolSerializers.ClientBatchSerializer(), 223);
    kryo.register(ClientReply.Applied.class, new ProtocolSerializers.AppliedSerializer(), 230);
    kryo.register(ClientReply.NotLeader.class, new ProtocolSerializers.NotLeaderSerializer(), 231);
    kryo.register(ClientReply.Timeout.class, 232);
    kryo.register(ClientReply.NoQuorum.class, 233);
    kryo.register(ClientReply.Rejected.class, 234);
    kryo.register(ClientEnvelope.Tagged.class, new ProtocolSerializers.TaggedSerializer(), 235);
    kryo.register(ClientEnvelope.TaggedBatch.class, new ProtocolSerializers.TaggedBatchSerializer(), 236);
    kryo.register(ClientReply.CommandFailed.class, 237);
    kryo.register(ClientReply.SessionExpired.class, 238);
    kryo.register(ClientReply.TooStale.class, 239);

    // leadership transfer: 210-214 and 240-249
    kryo.register(RaftMessage.TimeoutNow.class, new ProtocolSerializers.TimeoutNowSerializer(), 210);
    kryo.register(RaftMessage.ReadIndexRequest.class, 211);
    kryo.register(RaftMessage.ReadIndexResponse.class, 212);
    kryo.register(TransferLeadership.class, 240);
    kryo.register(TransferReply.Transferred.class, 241);
    kryo.register(TransferReply.NotLeader.class, 242);
    kryo.register(TransferReply.Timeout.class, 243);
    kryo.register(TransferReply.Rejected.class, 244);

    // membership: 250-269
    kryo.register(MembershipRequest.ChangeMembership.class, 250);
    kryo.register(MembershipRequest.GetMembership.class, 251);
    kryo.register(ConfigurationChange.AddLearner.class, 252);
    kryo.register(ConfigurationChange.Promote.class, 253);
    kryo.register(ConfigurationChange.Demote.class, 254);
    kryo.register(ConfigurationChange.AddVoter.class, 255);
    kryo.register(ConfigurationChange.Remove.class, 256);
    kryo.register(ConfigurationChange.ChangeVoters.class, 257);
    kryo.register(MembershipReply.Changed.class, 258);
    kryo.register(MembershipReply.Status.class, 259);
    kryo.register(MembershipReply.MemberProgress.class, 260);
    kryo.register(MembershipReply.NotLeader.class, 261);
    kryo.register(MembershipReply.Refused.class, 262);
    kryo.register(MembershipReply.OutcomeUnknown.class, 263);
    kryo.register(MembershipReply.RefusalReason.class, 264);
    kryo.register(io.pekkoraft.consensus.Membership.class, 265);
  }
}
