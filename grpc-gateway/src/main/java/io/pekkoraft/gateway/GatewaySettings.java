package io.pekkoraft.gateway;

import com.typesafe.config.Config;
import io.pekkoraft.gateway.security.AuthSettings;
import io.pekkoraft.gateway.security.TlsSettings;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * {@code pekko-raft.gateway}, read and checked once: a wrong value stops the start with a message that names
 * the key (see the module's reference.conf for what each means).
 */
public record GatewaySettings(boolean enabled, String host, int port, boolean allowPlaintextNonLoopback,
    int maxMessageSize, boolean reflection, TlsSettings tls, AuthSettings auth) {

  public static final String PATH = "pekko-raft.gateway";

  public GatewaySettings {
    if (host == null || host.isBlank()) throw new IllegalArgumentException(PATH + ".host must not be empty");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(PATH + ".port must be 0..65535 (0: a free port), was " + port);
    }
    if (maxMessageSize < 1024) {
      throw new IllegalArgumentException(PATH + ".max-message-size must be at least 1 KiB, was " + maxMessageSize);
    }
    java.util.Objects.requireNonNull(tls, "tls");
    java.util.Objects.requireNonNull(auth, "auth");
  }

  public static GatewaySettings fromConfig(Config root) {
    Config c = root.getConfig(PATH);
    long maxMessageSize = c.getBytes("max-message-size");
    if (maxMessageSize > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(PATH + ".max-message-size must be below 2 GiB, was " + maxMessageSize);
    }
    return new GatewaySettings(c.getBoolean("enabled"), c.getString("host"), c.getInt("port"),
        c.getBoolean("allow-plaintext-non-loopback"), (int) maxMessageSize, c.getBoolean("reflection"),
        TlsSettings.fromConfig(c.getConfig("tls")), AuthSettings.fromConfig(c.getConfig("auth")));
  }

  /** Whether {@link #host} names only this machine (127.0.0.0/8, ::1, localhost). */
  public boolean loopbackOnly() {
    try {
      for (InetAddress address : InetAddress.getAllByName(host)) {
        if (!address.isLoopbackAddress()) return false;
      }
      return true;
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(PATH + ".host '" + host + "' does not resolve", e);
    }
  }
}
