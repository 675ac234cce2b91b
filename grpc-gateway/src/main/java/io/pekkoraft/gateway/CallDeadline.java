package io.pekkoraft.gateway;

import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.grpc.javadsl.Metadata;

/**
 * A call's deadline as the request's own: the client's {@code grpc-timeout} header (gRPC over HTTP/2: up to 8
 * digits and a unit, H M S m u n), else the group's ask timeout. The request is given a little less than the
 * client's deadline (a tenth, 5 to 200 ms), so that the gateway's answer, which says whether a command may have
 * been applied, reaches the client before the client gives up on its own. Public for the other services the
 * gateway serves (the etcd API), which bound their requests the same way.
 *
 * @param timeout what the request is given
 * @param clients whether the client's deadline, not the fallback nor the maximum, set {@code timeout}
 * @param startNanos when the call arrived, on {@link System#nanoTime()}
 */
public record CallDeadline(Duration timeout, boolean clients, long startNanos) {

  static final String HEADER = "grpc-timeout";

  /**
   * The deadline of a call with these headers: the client's {@code grpc-timeout} less the margin, at most
   * {@code max}; {@code fallback} without the header. A malformed header: IllegalArgumentException.
   */
  public static CallDeadline of(Metadata metadata, Duration fallback, Duration max) {
    Duration timeout = fallback;
    boolean clients = false;
    Optional<String> header = metadata.getText(HEADER);
    if (header.isPresent()) {
      Duration client = parse(header.get());
      long marginMs = Math.max(5, Math.min(200, client.toMillis() / 10));
      timeout = client.minusMillis(marginMs);
      if (timeout.toMillis() < 1) timeout = Duration.ofMillis(1);
      clients = true;
    }
    if (timeout.compareTo(max) > 0) {
      timeout = max;
      clients = false;
    }
    return new CallDeadline(timeout, clients, System.nanoTime());
  }

  /** The {@code grpc-timeout} value; a malformed one is the client's mistake: IllegalArgumentException. */
  static Duration parse(String value) {
    if (value.length() < 2 || value.length() > 9) throw malformed(value);
    String digits = value.substring(0, value.length() - 1);
    for (int i = 0; i < digits.length(); i++) {
      if (digits.charAt(i) < '0' || digits.charAt(i) > '9') throw malformed(value);
    }
    long amount = Long.parseLong(digits);
    return switch (value.charAt(value.length() - 1)) {
      case 'H' -> Duration.ofHours(amount);
      case 'M' -> Duration.ofMinutes(amount);
      case 'S' -> Duration.ofSeconds(amount);
      case 'm' -> Duration.ofMillis(amount);
      case 'u' -> Duration.ofNanos(amount * 1000);
      case 'n' -> Duration.ofNanos(amount);
      default -> throw malformed(value);
    };
  }

  private static IllegalArgumentException malformed(String value) {
    return new IllegalArgumentException("malformed grpc-timeout header '" + value
        + "': expected 1 to 8 digits and a unit (H, M, S, m, u, n)");
  }

  /** Whether (nearly) the whole time given to the request has passed. */
  public boolean passed() {
    return System.nanoTime() - startNanos >= timeout.toNanos() - Duration.ofMillis(2).toNanos();
  }
}
