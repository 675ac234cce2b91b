package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.serialization.KryoCodec;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Supplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Applies committed entries, strictly in index order, to the user's {@link StateMachine}, answers the
 * clients that submitted them, and serves reads once the state has caught up with their read index.
 * It runs beside the Raft server, so applying never delays elections or replication.
 */
public final class StateMachineRunner extends AbstractBehavior<StateMachineRunner.Command> {

  public interface Command extends NoSerializationVerificationNeeded {}

  /** Committed entries, contiguous, and the clients waiting for some of them (by index). */
  public record Apply(List<LogEntry> entries, Map<Long, ActorRef<ClientReply>> replies) implements Command {}

  /** Evaluate {@code query} once everything up to {@code readIndex} is applied. */
  public record Read(long readIndex, byte[] query, ActorRef<ClientReply> replyTo) implements Command {}

  private final StateMachine<Object, Object, Object> stateMachine;
  private final KryoCodec codec;
  private final PriorityQueue<Read> waitingReads =
      new PriorityQueue<>((a, b) -> Long.compare(a.readIndex(), b.readIndex()));
  private long lastApplied;

  @SuppressWarnings("unchecked")
  public static Behavior<Command> create(Supplier<? extends StateMachine<?, ?, ?>> factory, KryoCodec codec) {
    return Behaviors.setup(ctx -> new StateMachineRunner(ctx, (StateMachine<Object, Object, Object>) factory.get(), codec));
  }

  private StateMachineRunner(ActorContext<Command> ctx, StateMachine<Object, Object, Object> sm, KryoCodec codec) {
    super(ctx);
    this.stateMachine = sm;
    this.codec = codec;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Apply.class, this::onApply)
        .onMessage(Read.class, this::onRead)
        .build();
  }

  private Behavior<Command> onApply(Apply a) {
    for (LogEntry e : a.entries()) {
      if (e.index() != lastApplied + 1) {
        throw new IllegalStateException("state machine would skip from " + lastApplied + " to " + e.index());
      }
      ClientReply reply = e.type() == LogEntry.Type.COMMAND ? applyCommand(e) : null;
      lastApplied = e.index();
      ActorRef<ClientReply> replyTo = a.replies().get(e.index());
      if (replyTo != null) {
        replyTo.tell(reply != null ? reply : new ClientReply.Rejected("entry " + e.index() + " is not a command"));
      }
    }
    while (!waitingReads.isEmpty() && waitingReads.peek().readIndex() <= lastApplied) serve(waitingReads.poll());
    return this;
  }

  private ClientReply applyCommand(LogEntry e) {
    Object command;
    try {
      command = codec.fromBytes(e.data());
    } catch (RuntimeException ex) {
      // The same bytes fail the same way on every node, so skipping them keeps the replicas identical.
      getContext().getLog().warn("Entry {} holds a command that cannot be read; skipped: {}", e.index(), ex.getMessage());
      return new ClientReply.Rejected("command cannot be deserialized: " + ex.getMessage());
    }
    try {
      return new ClientReply.Applied(stateMachine.apply(command), e.index());
    } catch (RuntimeException ex) {
      return new ClientReply.Rejected("state machine refused the command: " + ex);
    }
  }

  private Behavior<Command> onRead(Read r) {
    if (r.readIndex() <= lastApplied) serve(r);
    else waitingReads.add(r);
    return this;
  }

  private void serve(Read r) {
    try {
      Object query = codec.fromBytes(r.query());
      r.replyTo().tell(new ClientReply.Applied(stateMachine.query(query), lastApplied));
    } catch (RuntimeException ex) {
      r.replyTo().tell(new ClientReply.Rejected("query failed: " + ex));
    }
  }
}
