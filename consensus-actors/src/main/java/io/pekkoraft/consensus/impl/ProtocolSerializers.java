package io.pekkoraft.consensus.impl;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.protocol.ClientBatch;
import io.pekkoraft.consensus.protocol.ClientEnvelope;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.serialization.SizeGuard;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Hand-written Kryo serializers for the messages sent most often: the Raft RPCs and the client requests
 * and replies. Kryo's record serializer would reach every component through reflection, and write a
 * class id before every non-primitive one; these write the components in a fixed order, numbers as
 * variable-length integers and booleans as bits of one flags byte, and check everything they read, so
 * corrupt bytes fail with a {@link KryoException} rather than build a wrong message.
 *
 * <p>The layouts are the wire format between nodes: changing one (or a component's order) makes nodes of
 * different versions misread each other. Strings (member ids, leader id), byte payloads, ActorRefs and
 * results may be null, as the records allow; lists may not. A replica id is random, so it is written as
 * eight bytes, not as a variable-length integer. ActorRefs go through the codec's registered
 * ActorRef serializer, which resolves them on the reader's side.
 */
final class ProtocolSerializers {

  private ProtocolSerializers() {}

  /** Records are immutable and may be null only inside, never as the message itself. */
  private abstract static class MessageSerializer<T> extends Serializer<T> {
    MessageSerializer() {
      super(false, true);
    }
  }

  // -- Raft RPCs -----------------------------------------------------------------------------------

  static final class RequestVoteSerializer extends MessageSerializer<RaftMessage.RequestVote> {
    private static final int PRE_VOTE = 1;
    private static final int TRANSFER = 2;

    @Override
    public void write(Kryo kryo, Output output, RaftMessage.RequestVote m) {
      output.writeVarLong(m.term(), true);
      output.writeString(m.from());
      output.writeVarLong(m.lastLogIndex(), true);
      output.writeVarLong(m.lastLogTerm(), true);
      output.writeByte((m.preVote() ? PRE_VOTE : 0) | (m.transfer() ? TRANSFER : 0));
      output.writeLong(m.replicaId());
    }

    @Override
    public RaftMessage.RequestVote read(Kryo kryo, Input input, Class<? extends RaftMessage.RequestVote> type) {
      long term = input.readVarLong(true);
      String from = input.readString();
      long lastLogIndex = input.readVarLong(true);
      long lastLogTerm = input.readVarLong(true);
      int flags = readFlags(input, PRE_VOTE | TRANSFER, "RequestVote");
      long replicaId = input.readLong();
      return new RaftMessage.RequestVote(
          term, from, lastLogIndex, lastLogTerm, (flags & PRE_VOTE) != 0, (flags & TRANSFER) != 0, replicaId);
    }
  }

  static final class RequestVoteResponseSerializer extends MessageSerializer<RaftMessage.RequestVoteResponse> {
    private static final int GRANTED = 1;
    private static final int PRE_VOTE = 2;

    @Override
    public void write(Kryo kryo, Output output, RaftMessage.RequestVoteResponse m) {
      output.writeVarLong(m.term(), true);
      output.writeString(m.from());
      output.writeByte((m.granted() ? GRANTED : 0) | (m.preVote() ? PRE_VOTE : 0));
      output.writeLong(m.replicaId());
    }

    @Override
    public RaftMessage.RequestVoteResponse read(
        Kryo kryo, Input input, Class<? extends RaftMessage.RequestVoteResponse> type) {
      long term = input.readVarLong(true);
      String from = input.readString();
      int flags = readFlags(input, GRANTED | PRE_VOTE, "RequestVoteResponse");
      long replicaId = input.readLong();
      return new RaftMessage.RequestVoteResponse(term, from, (flags & GRANTED) != 0, (flags & PRE_VOTE) != 0, replicaId);
    }
  }

  /** The entry count first, then each entry through the registered {@link LogEntry} serializer. */
  static final class AppendEntriesSerializer extends MessageSerializer<RaftMessage.AppendEntries> {
    /** Index, term, type and payload length take one byte each at least. */
    private static final int ENTRY_BYTES_MIN = 4;

    @Override
    public void write(Kryo kryo, Output output, RaftMessage.AppendEntries m) {
      output.writeVarLong(m.term(), true);
      output.writeString(m.from());
      output.writeVarLong(m.prevLogIndex(), true);
      output.writeVarLong(m.prevLogTerm(), true);
      output.writeVarLong(m.leaderCommit(), true);
      output.writeVarLong(m.seq(), true);
      List<LogEntry> entries = m.entries();
      if (entries == null) throw new KryoException("AppendEntries without an entries list");
      output.writeVarInt(entries.size(), true);
      for (LogEntry entry : entries) {
        if (entry == null) throw new KryoException("null entry in an AppendEntries: not allowed in messages");
        kryo.writeObject(output, entry);
      }
    }

    @Override
    public RaftMessage.AppendEntries read(Kryo kryo, Input input, Class<? extends RaftMessage.AppendEntries> type) {
      long term = input.readVarLong(true);
      String from = input.readString();
      long prevLogIndex = input.readVarLong(true);
      long prevLogTerm = input.readVarLong(true);
      long leaderCommit = input.readVarLong(true);
      long seq = input.readVarLong(true);
      LogEntry[] entries =
          new LogEntry[SizeGuard.checkedSize(input, input.readVarInt(true), ENTRY_BYTES_MIN, "AppendEntries entries")];
      for (int i = 0; i < entries.length; i++) entries[i] = kryo.readObject(input, LogEntry.class);
      return new RaftMessage.AppendEntries(term, from, prevLogIndex, prevLogTerm, List.of(entries), leaderCommit, seq);
    }
  }

  static final class AppendEntriesResponseSerializer extends MessageSerializer<RaftMessage.AppendEntriesResponse> {
    private static final int SUCCESS = 1;

    @Override
    public void write(Kryo kryo, Output output, RaftMessage.AppendEntriesResponse m) {
      output.writeVarLong(m.term(), true);
      output.writeString(m.from());
      output.writeByte(m.success() ? SUCCESS : 0);
      output.writeVarLong(m.matchIndex(), true);
      output.writeVarLong(m.conflictTerm(), true);
      output.writeVarLong(m.conflictIndex(), true);
      output.writeVarLong(m.seq(), true);
      output.writeLong(m.replicaId());
    }

    @Override
    public RaftMessage.AppendEntriesResponse read(
        Kryo kryo, Input input, Class<? extends RaftMessage.AppendEntriesResponse> type) {
      long term = input.readVarLong(true);
      String from = input.readString();
      boolean success = readFlags(input, SUCCESS, "AppendEntriesResponse") != 0;
      long matchIndex = input.readVarLong(true);
      long conflictTerm = input.readVarLong(true);
      long conflictIndex = input.readVarLong(true);
      long seq = input.readVarLong(true);
      long replicaId = input.readLong();
      return new RaftMessage.AppendEntriesResponse(
          term, from, success, matchIndex, conflictTerm, conflictIndex, seq, replicaId);
    }
  }

  static final class HeartbeatSerializer extends MessageSerializer<RaftMessage.Heartbeat> {
    @Override
    public void write(Kryo kryo, Output output, RaftMessage.Heartbeat m) {
      output.writeVarLong(m.term(), true);
      output.writeString(m.from());
      output.writeVarLong(m.commitIndex(), true);
      output.writeVarLong(m.round(), true);
    }

    @Override
    public RaftMessage.Heartbeat read(Kryo kryo, Input input, Class<? extends RaftMessage.Heartbeat> type) {
      long term = input.readVarLong(true);
      String from = input.readString();
      long commitIndex = input.readVarLong(true);
      long round = input.readVarLong(true);
      return new RaftMessage.Heartbeat(term, from, commitIndex, round);
    }
  }

  static final class HeartbeatResponseSerializer extends MessageSerializer<RaftMessage.HeartbeatResponse> {
    @Override
    public void write(Kryo kryo, Output output, RaftMessage.HeartbeatResponse m) {
      output.writeVarLong(m.term(), true);
      output.writeString(m.from());
      output.writeVarLong(m.round(), true);
      output.writeLong(m.replicaId());
    }

    @Override
    public RaftMessage.HeartbeatResponse read(
        Kryo kryo, Input input, Class<? extends RaftMessage.HeartbeatResponse> type) {
      long term = input.readVarLong(true);
      String from = input.readString();
      long round = input.readVarLong(true);
      long replicaId = input.readLong();
      return new RaftMessage.HeartbeatResponse(term, from, round, replicaId);
    }
  }

  static final class TimeoutNowSerializer extends MessageSerializer<RaftMessage.TimeoutNow> {
    @Override
    public void write(Kryo kryo, Output output, RaftMessage.TimeoutNow m) {
      output.writeVarLong(m.term(), true);
      output.writeString(m.from());
    }

    @Override
    public RaftMessage.TimeoutNow read(Kryo kryo, Input input, Class<? extends RaftMessage.TimeoutNow> type) {
      long term = input.readVarLong(true);
      String from = input.readString();
      return new RaftMessage.TimeoutNow(term, from);
    }
  }

  // -- Client requests -----------------------------------------------------------------------------

  static final class ClientCommandSerializer extends MessageSerializer<ClientRequest.ClientCommand> {
    @Override
    public void write(Kryo kryo, Output output, ClientRequest.ClientCommand m) {
      writeCommand(kryo, output, m, true);
    }

    @Override
    public ClientRequest.ClientCommand read(
        Kryo kryo, Input input, Class<? extends ClientRequest.ClientCommand> type) {
      return readCommand(kryo, input, null, true);
    }
  }

  static final class ClientQuerySerializer extends MessageSerializer<ClientRequest.ClientQuery> {
    @Override
    public void write(Kryo kryo, Output output, ClientRequest.ClientQuery m) {
      writeQuery(kryo, output, m, true);
    }

    @Override
    public ClientRequest.ClientQuery read(Kryo kryo, Input input, Class<? extends ClientRequest.ClientQuery> type) {
      return readQuery(kryo, input, null, true);
    }
  }

  /**
   * The request count, a flags byte, then each request as a kind byte and its components. When every
   * request has the same replyTo (the usual case: one client actor per system), it is written once,
   * after the flags, and the reader resolves it once for the whole batch.
   */
  static final class ClientBatchSerializer extends MessageSerializer<ClientBatch> {
    private static final int SHARED_REPLY_TO = 1;
    private static final int COMMAND = 0;
    private static final int QUERY = 1;
    /** Kind, payload length, hops and tag take one byte each at least. */
    private static final int REQUEST_BYTES_MIN = 4;

    @Override
    public void write(Kryo kryo, Output output, ClientBatch batch) {
      List<ClientRequest> requests = batch.requests();
      ActorRef<ClientReply> first = requests.get(0).replyTo();
      boolean shared = true;
      for (ClientRequest request : requests) {
        if (!Objects.equals(request.replyTo(), first)) {
          shared = false;
          break;
        }
      }
      output.writeVarInt(requests.size(), true);
      output.writeByte(shared ? SHARED_REPLY_TO : 0);
      if (shared) kryo.writeClassAndObject(output, first);
      for (ClientRequest request : requests) {
        if (request instanceof ClientRequest.ClientCommand command) {
          output.writeByte(COMMAND);
          writeCommand(kryo, output, command, !shared);
        } else if (request instanceof ClientRequest.ClientQuery query) {
          output.writeByte(QUERY);
          writeQuery(kryo, output, query, !shared);
        } else {
          throw new KryoException("unknown kind of client request " + request.getClass().getName());
        }
      }
    }

    @Override
    public ClientBatch read(Kryo kryo, Input input, Class<? extends ClientBatch> type) {
      ClientRequest[] requests =
          new ClientRequest[SizeGuard.checkedSize(input, input.readVarInt(true), REQUEST_BYTES_MIN, "ClientBatch")];
      boolean shared = readFlags(input, SHARED_REPLY_TO, "ClientBatch") != 0;
      ActorRef<ClientReply> replyTo = shared ? readReplyTo(kryo, input) : null;
      for (int i = 0; i < requests.length; i++) {
        int kind = input.readByte();
        requests[i] =
            switch (kind) {
              case COMMAND -> readCommand(kryo, input, replyTo, !shared);
              case QUERY -> readQuery(kryo, input, replyTo, !shared);
              default -> throw new KryoException("unknown client request kind " + kind + ": the bytes are corrupt");
            };
      }
      try {
        return new ClientBatch(List.of(requests));
      } catch (IllegalArgumentException e) {
        throw new KryoException("not a ClientBatch: " + e.getMessage(), e);
      }
    }
  }

  private static void writeCommand(Kryo kryo, Output output, ClientRequest.ClientCommand m, boolean withReplyTo) {
    writeNullableBytes(output, m.command());
    output.writeVarLong(m.sessionId() + 1, true); // OPEN_SESSION (-1) as 0
    output.writeVarLong(m.sequence(), true);
    output.writeVarLong(m.ackedSequence(), true);
    output.writeVarInt(m.hops(), true);
    output.writeVarLong(m.tag(), true);
    if (withReplyTo) kryo.writeClassAndObject(output, m.replyTo());
  }

  /** {@code replyTo} is the batch's shared one, used unless {@code withReplyTo} says the request has its own. */
  private static ClientRequest.ClientCommand readCommand(
      Kryo kryo, Input input, ActorRef<ClientReply> replyTo, boolean withReplyTo) {
    byte[] command = readNullableBytes(input, "ClientCommand command");
    long sessionId = input.readVarLong(true) - 1;
    long sequence = input.readVarLong(true);
    long ackedSequence = input.readVarLong(true);
    int hops = input.readVarInt(true);
    long tag = input.readVarLong(true);
    try {
      return new ClientRequest.ClientCommand(command, sessionId, sequence, ackedSequence, hops, tag,
          withReplyTo ? readReplyTo(kryo, input) : replyTo);
    } catch (IllegalArgumentException e) {
      throw new KryoException("not a ClientCommand: " + e.getMessage(), e);
    }
  }

  private static final ReadConsistency[] CONSISTENCIES = ReadConsistency.values();

  /** Set in the consistency byte of a bounded STALE read: its maxLagEntries + 1 and minIndex follow. */
  private static final int QUERY_BOUNDED = 0x40;

  private static void writeQuery(Kryo kryo, Output output, ClientRequest.ClientQuery m, boolean withReplyTo) {
    writeNullableBytes(output, m.query());
    boolean bounded = m.bounded();
    output.writeByte((m.consistency() == null ? 0 : m.consistency().ordinal() + 1) | (bounded ? QUERY_BOUNDED : 0));
    if (bounded) {
      output.writeVarLong(m.maxLagEntries() + 1, true); // -1 (unbounded) is 0
      output.writeVarLong(m.minIndex(), true);
    }
    output.writeVarInt(m.hops(), true);
    output.writeVarLong(m.tag(), true);
    if (withReplyTo) kryo.writeClassAndObject(output, m.replyTo());
  }

  private static ClientRequest.ClientQuery readQuery(
      Kryo kryo, Input input, ActorRef<ClientReply> replyTo, boolean withReplyTo) {
    byte[] query = readNullableBytes(input, "ClientQuery query");
    int flags = input.readByte();
    int consistency = flags & ~QUERY_BOUNDED;
    if (consistency < 0 || consistency > CONSISTENCIES.length) {
      throw new KryoException("unknown read consistency " + flags + ": the bytes are corrupt");
    }
    long maxLagEntries = -1;
    long minIndex = 0;
    if ((flags & QUERY_BOUNDED) != 0) {
      maxLagEntries = input.readVarLong(true) - 1;
      minIndex = input.readVarLong(true);
    }
    int hops = input.readVarInt(true);
    long tag = input.readVarLong(true);
    return new ClientRequest.ClientQuery(
        query,
        consistency == 0 ? null : CONSISTENCIES[consistency - 1],
        maxLagEntries,
        minIndex,
        hops,
        tag,
        withReplyTo ? readReplyTo(kryo, input) : replyTo);
  }

  // -- Client replies ------------------------------------------------------------------------------

  /** The index, then the result with its class: any registered object, or null. */
  static final class AppliedSerializer extends MessageSerializer<ClientReply.Applied> {
    @Override
    public void write(Kryo kryo, Output output, ClientReply.Applied m) {
      output.writeVarLong(m.index(), true);
      kryo.writeClassAndObject(output, m.result());
    }

    @Override
    public ClientReply.Applied read(Kryo kryo, Input input, Class<? extends ClientReply.Applied> type) {
      long index = input.readVarLong(true);
      return new ClientReply.Applied(kryo.readClassAndObject(input), index);
    }
  }

  static final class NotLeaderSerializer extends MessageSerializer<ClientReply.NotLeader> {
    @Override
    public void write(Kryo kryo, Output output, ClientReply.NotLeader m) {
      output.writeString(m.leaderId());
    }

    @Override
    public ClientReply.NotLeader read(Kryo kryo, Input input, Class<? extends ClientReply.NotLeader> type) {
      return new ClientReply.NotLeader(input.readString());
    }
  }

  /** The tag, then the wrapped reply with its class. */
  static final class TaggedSerializer extends MessageSerializer<ClientEnvelope.Tagged> {
    @Override
    public void write(Kryo kryo, Output output, ClientEnvelope.Tagged m) {
      output.writeVarLong(m.tag(), true);
      kryo.writeClassAndObject(output, m.reply());
    }

    @Override
    public ClientEnvelope.Tagged read(Kryo kryo, Input input, Class<? extends ClientEnvelope.Tagged> type) {
      long tag = input.readVarLong(true);
      Object reply = kryo.readClassAndObject(input);
      if (reply != null && !(reply instanceof ClientReply)) {
        throw new KryoException("a Tagged reply holds a " + reply.getClass().getName() + ", not a ClientReply");
      }
      return new ClientEnvelope.Tagged(tag, (ClientReply) reply);
    }
  }

  /** The count, then each {@link ClientEnvelope.Tagged} without its class (they all are one). */
  static final class TaggedBatchSerializer extends MessageSerializer<ClientEnvelope.TaggedBatch> {
    /** Tag and the reply's class id take one byte each at least. */
    private static final int TAGGED_BYTES_MIN = 2;

    private final TaggedSerializer tagged = new TaggedSerializer();

    @Override
    public void write(Kryo kryo, Output output, ClientEnvelope.TaggedBatch batch) {
      output.writeVarInt(batch.replies().size(), true);
      for (ClientEnvelope.Tagged reply : batch.replies()) tagged.write(kryo, output, reply);
    }

    @Override
    public ClientEnvelope.TaggedBatch read(Kryo kryo, Input input, Class<? extends ClientEnvelope.TaggedBatch> type) {
      ClientEnvelope.Tagged[] replies =
          new ClientEnvelope.Tagged[SizeGuard.checkedSize(input, input.readVarInt(true), TAGGED_BYTES_MIN, "TaggedBatch")];
      for (int i = 0; i < replies.length; i++) replies[i] = tagged.read(kryo, input, ClientEnvelope.Tagged.class);
      try {
        return new ClientEnvelope.TaggedBatch(List.of(replies));
      } catch (IllegalArgumentException e) {
        throw new KryoException("not a TaggedBatch: " + e.getMessage(), e);
      }
    }
  }

  // -- Shared pieces -------------------------------------------------------------------------------

  /** A flags byte with no bits but {@code allowed}: any other bit means the bytes are not ours. */
  private static int readFlags(Input input, int allowed, String what) {
    int flags = input.readByte() & 0xFF;
    if ((flags & ~allowed) != 0) {
      throw new KryoException("unknown flags " + flags + " in a " + what + ": the bytes are corrupt");
    }
    return flags;
  }

  /** The length plus one (0 for null), then the bytes. */
  private static void writeNullableBytes(Output output, byte[] bytes) {
    if (bytes == null) {
      output.writeVarInt(0, true);
    } else {
      output.writeVarInt(bytes.length + 1, true);
      output.writeBytes(bytes);
    }
  }

  private static byte[] readNullableBytes(Input input, String what) {
    int lengthPlusOne = input.readVarInt(true);
    if (lengthPlusOne == 0) return null;
    return input.readBytes(SizeGuard.checkedSize(input, lengthPlusOne - 1, 1, what));
  }

  /** A replyTo as the codec's registered ActorRef serializer wrote it (with its class), or null. */
  @SuppressWarnings("unchecked")
  private static ActorRef<ClientReply> readReplyTo(Kryo kryo, Input input) {
    Object ref = kryo.readClassAndObject(input);
    if (ref != null && !(ref instanceof ActorRef)) {
      throw new KryoException("a replyTo holds a " + ref.getClass().getName() + ", not an ActorRef");
    }
    return (ActorRef<ClientReply>) ref;
  }
}
