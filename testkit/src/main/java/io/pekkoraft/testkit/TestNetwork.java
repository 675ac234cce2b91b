package io.pekkoraft.testkit;

import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.Configuration;
import io.pekkoraft.consensus.transport.Transport;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * A network between the members of a group that a test can cut, and that counts what crosses it: each
 * member's Raft transport is wrapped by {@link #decorate} ({@code ReplicatedStateMachine.withTransport(network::decorate)}),
 * and every wrapped transport forwards to the one it wraps unless this network drops the message.
 *
 * <p>A dropped message is lost on the way: the send reports success, as with a real network, so the
 * sender cannot tell. Only Raft traffic between the servers goes through a transport; the Pekko Cluster
 * (gossip, failure detection) and the clients' requests still flow, so what a cut tests is Raft's
 * behaviour, not the cluster's membership decisions.
 *
 * <p>One instance may serve every member of a cluster in one JVM (then {@link #isolate} cuts a member off
 * in both directions), or one member in its own process (then {@link #block} cuts what it sends, and the
 * other direction takes the same on the other processes). Counts are kept per sending member.
 */
public final class TestNetwork {

  /** What was sent through the wrapped transports, whether it arrived or not, and what of it was dropped. */
  public record Counts(long messages, long appendEntries, long entries, long heartbeats, long dropped) {

    public static final Counts ZERO = new Counts(0, 0, 0, 0, 0);

    /** What was sent since {@code before} was taken. */
    public Counts minus(Counts before) {
      return new Counts(messages - before.messages, appendEntries - before.appendEntries, entries - before.entries,
          heartbeats - before.heartbeats, dropped - before.dropped);
    }

    Counts plus(Counts other) {
      return new Counts(messages + other.messages, appendEntries + other.appendEntries, entries + other.entries,
          heartbeats + other.heartbeats, dropped + other.dropped);
    }
  }

  /** The member id a transport counts under before the server has bound it. */
  private static final String UNBOUND = "";

  /** Members cut off in both directions. */
  private final Set<String> isolated = ConcurrentHashMap.newKeySet();
  /** Per sender, the members it can no longer reach. */
  private final Map<String, Set<String>> blocked = new ConcurrentHashMap<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  /** Wraps one member's transport: a {@code Function<Transport, Transport>} for {@code withTransport}. */
  public Transport decorate(Transport inner) {
    return new Link(Objects.requireNonNull(inner, "inner"));
  }

  /** From now on, drop every Raft message from or to {@code memberId}. */
  public void isolate(String memberId) {
    isolated.add(memberId);
  }

  /**
   * From now on, drop what {@code from} sends to any of {@code to} (and only to them): this replaces what
   * {@code from} was blocked from before. Cutting both directions takes blocking each at the other.
   */
  public void block(String from, Set<String> to) {
    blocked.put(from, Set.copyOf(to));
  }

  /** The members {@code from} cannot reach now, by {@link #block} (isolation aside). */
  public Set<String> blocked(String from) {
    return blocked.getOrDefault(from, Set.of());
  }

  /** Deliver everything again: ends every isolation and every block. */
  public void heal() {
    isolated.clear();
    blocked.clear();
  }

  /** Whether a message from {@code from} to {@code to} would be dropped now. */
  public boolean drops(String from, String to) {
    return isolated.contains(from) || isolated.contains(to) || blocked(from).contains(to);
  }

  /** What every member sent so far, all together. */
  public Counts counts() {
    return counters.values().stream().map(Counter::counts).reduce(Counts.ZERO, Counts::plus);
  }

  /** What {@code memberId} sent so far. */
  public Counts counts(String memberId) {
    Counter counter = counters.get(memberId);
    return counter == null ? Counts.ZERO : counter.counts();
  }

  private static final class Counter {
    final LongAdder messages = new LongAdder();
    final LongAdder appendEntries = new LongAdder();
    final LongAdder entries = new LongAdder();
    final LongAdder heartbeats = new LongAdder();
    final LongAdder dropped = new LongAdder();

    void sent(ServerCommand message) {
      messages.increment();
      if (message instanceof RaftMessage.AppendEntries append) {
        appendEntries.increment();
        entries.add(append.entries().size());
      } else if (message instanceof RaftMessage.Heartbeat) {
        heartbeats.increment();
      }
    }

    Counts counts() {
      return new Counts(messages.sum(), appendEntries.sum(), entries.sum(), heartbeats.sum(), dropped.sum());
    }
  }

  /** One member's transport, as this network sees it. */
  private final class Link implements Transport {
    private final Transport inner;
    private volatile String self = UNBOUND;

    Link(Transport inner) {
      this.inner = inner;
    }

    @Override
    public void bind(String selfId, ActorRef<ServerCommand> server, ActorContext<ServerCommand> context) {
      self = selfId;
      inner.bind(selfId, server, context);
    }

    @Override
    public boolean send(String to, ServerCommand message) {
      String from = self;
      Counter counter = counters.computeIfAbsent(from, id -> new Counter());
      counter.sent(message);
      if (drops(from, to)) {
        counter.dropped.increment();
        return true; // lost on the way
      }
      return inner.send(to, message);
    }

    @Override
    public void configurationChanged(Configuration config) {
      inner.configurationChanged(config);
    }
  }
}
