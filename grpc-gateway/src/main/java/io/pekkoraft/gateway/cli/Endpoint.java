package io.pekkoraft.gateway.cli;

import java.util.ArrayList;
import java.util.List;

/** A gateway's address as given to {@code --endpoints}: {@code host:port}, an IPv6 host in brackets. */
record Endpoint(String host, int port) {

  /**
   * The endpoints of a comma-separated list, in order.
   *
   * @throws IllegalArgumentException naming the entry that is not {@code host:port}
   */
  static List<Endpoint> parseList(String list) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (String entry : list.split(",", -1)) {
      String e = entry.trim();
      if (e.isEmpty()) {
        if (list.isBlank()) throw new IllegalArgumentException("no endpoint given (expected host:port,...)");
        continue;
      }
      endpoints.add(parse(e));
    }
    if (endpoints.isEmpty()) throw new IllegalArgumentException("no endpoint given (expected host:port,...)");
    return endpoints;
  }

  static Endpoint parse(String entry) {
    int colon = entry.lastIndexOf(':');
    if (colon <= 0 || colon == entry.length() - 1) {
      throw new IllegalArgumentException("endpoint '" + entry + "' is not host:port");
    }
    String host = entry.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new IllegalArgumentException("endpoint '" + entry + "': write an IPv6 host in brackets, [::1]:9090");
    }
    if (host.isEmpty()) throw new IllegalArgumentException("endpoint '" + entry + "' has no host");
    int port;
    try {
      port = Integer.parseInt(entry.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("endpoint '" + entry + "': the port is not a number");
    }
    if (port < 1 || port > 65535) throw new IllegalArgumentException("endpoint '" + entry + "': port out of range");
    return new Endpoint(host, port);
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
