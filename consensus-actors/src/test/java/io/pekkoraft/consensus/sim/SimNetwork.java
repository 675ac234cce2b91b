package io.pekkoraft.consensus.sim;

import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.transport.Transport;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * A network between the members of a simulated cluster, inside one ActorSystem. It can cut a member off,
 * split members into partitions, and, when unreliable, drop, delay (and so reorder) and duplicate
 * messages, all decided by one seeded random generator. Delays run on the system's scheduler, which the
 * tests drive with manual time.
 */
public final class SimNetwork {

  private final ActorSystem<?> system;
  private final Random random;
  private final Map<String, ActorRef<ServerCommand>> endpoints = new ConcurrentHashMap<>();
  private final Set<String> isolated = ConcurrentHashMap.newKeySet();
  private volatile List<Set<String>> partitions = List.of();
  private volatile boolean unreliable;
  private volatile double dropRate = 0.1;
  private volatile double duplicateRate = 0.05;
  private volatile int maxDelayMs = 27;
  private final Map<String, AtomicLong> sentByType = new ConcurrentHashMap<>();
  private final Set<SendFault> failNextSend = ConcurrentHashMap.newKeySet();
  private volatile DropFilter dropFilter = (from, to, message) -> false;

  /** Decides which messages the network loses, by sender, receiver and content (see {@link #dropWhen}). */
  @FunctionalInterface
  public interface DropFilter {
    boolean drop(String from, String to, ServerCommand message);
  }

  private record SendFault(String from, String to, Class<?> type) {}

  public SimNetwork(ActorSystem<?> system, long seed) {
    this.system = system;
    this.random = new Random(seed);
  }

  /** The transport member {@code self} uses. */
  public Transport transportFor(String self) {
    return new Transport() {
      @Override
      public void bind(String selfId, ActorRef<ServerCommand> server, ActorContext<ServerCommand> context) {
        endpoints.put(selfId, server);
      }

      @Override
      public boolean send(String to, ServerCommand message) {
        if (failNextSend.remove(new SendFault(self, to, message.getClass()))) {
          throw new IllegalStateException("fault injected by the test: sending " + message + " to " + to);
        }
        if (!endpoints.containsKey(to)) return false;
        deliver(self, to, message); // a known member: the message may still be lost on the way
        return true;
      }
    };
  }

  /**
   * The next time member {@code from} sends a {@code type} to {@code to}, its transport throws, as a
   * transport with a bug would; the actor that sends fails. Once only.
   */
  public void failNextSend(String from, String to, Class<? extends ServerCommand> type) {
    failNextSend.add(new SendFault(from, to, type));
  }

  /** Makes a test probe (or any actor) reachable as member {@code id}, to play a peer by hand. */
  public void bind(String id, ActorRef<ServerCommand> ref) {
    endpoints.put(id, ref);
  }

  private void deliver(String from, String to, ServerCommand message) {
    sentByType.computeIfAbsent(message.getClass().getSimpleName(), k -> new AtomicLong()).incrementAndGet();
    if (!connected(from, to) || dropFilter.drop(from, to, message)) return;
    ActorRef<ServerCommand> target = endpoints.get(to);
    if (target == null) return;
    if (!unreliable) {
      target.tell(message);
      return;
    }
    int copies;
    long delay;
    synchronized (random) {
      if (random.nextDouble() < dropRate) return;
      copies = random.nextDouble() < duplicateRate ? 2 : 1;
      delay = random.nextInt(maxDelayMs + 1);
    }
    for (int i = 0; i < copies; i++) {
      if (delay == 0 && i == 0) {
        target.tell(message);
      } else {
        system.scheduler().scheduleOnce(Duration.ofMillis(delay + i), () -> {
          // Check again on arrival: a partition made meanwhile also cuts messages already on the wire.
          if (connected(from, to)) endpoints.getOrDefault(to, target).tell(message);
        }, system.executionContext());
      }
    }
  }

  public boolean connected(String a, String b) {
    if (isolated.contains(a) || isolated.contains(b)) return false;
    List<Set<String>> parts = partitions;
    if (parts.isEmpty()) return true;
    for (Set<String> part : parts) {
      if (part.contains(a)) return part.contains(b);
    }
    return false;
  }

  /** Cut every link of {@code member}, both ways. */
  public void isolate(String member) {
    isolated.add(member);
  }

  public void reconnect(String member) {
    isolated.remove(member);
  }

  /** Only members in the same group can talk; a member in no group talks to no one. */
  @SafeVarargs
  @SuppressWarnings("varargs") // the array is only read and copied
  public final void partition(Set<String>... groups) {
    partitions = List.copyOf(java.util.Arrays.asList(groups));
  }

  /**
   * Lose every message {@code filter} picks (one way only: a leader's AppendEntries, say, but not the
   * answers to it), until {@link #dropNothing}; it stops a protocol at an exact step. Decided when sent.
   */
  public void dropWhen(DropFilter filter) {
    dropFilter = filter;
  }

  public void dropNothing() {
    dropFilter = (from, to, message) -> false;
  }

  /** Remove partitions and isolation. */
  public void heal() {
    partitions = List.of();
    isolated.clear();
  }

  public void setUnreliable(boolean on) {
    unreliable = on;
  }

  public void setFaultRates(double drop, double duplicate, int maxDelayMillis) {
    dropRate = drop;
    duplicateRate = duplicate;
    maxDelayMs = maxDelayMillis;
  }

  /** Messages sent so far (delivered or not), per message class simple name. */
  public long sent(String type) {
    AtomicLong n = sentByType.get(type);
    return n == null ? 0 : n.get();
  }

  public long sentTotal(Set<String> types) {
    long total = 0;
    for (String t : new HashSet<>(types)) total += sent(t);
    return total;
  }
}
