package dev.hybridrelay.it.support;

import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Child-process TLS probe (S10): for each protocol argument, opens a TLS connection to
 * {@code host:port} with only that protocol enabled (trusting any certificate, so that only the
 * protocol decides) and prints {@code TLS <protocol> OK <negotiated>} or
 * {@code TLS <protocol> FAIL <exception>}. Run with a {@code java.security.properties} override
 * that re-enables TLS 1.0/1.1 on the client, so that a refusal comes from the server.
 */
public final class TlsProbeMain {
  private TlsProbeMain() {
  }

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    TrustManager[] trustAll = {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }};
    for (int i = 2; i < args.length; i++) {
      String proto = args[i];
      try {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, trustAll, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
          s.connect(new InetSocketAddress(host, port), 5000);
          s.setSoTimeout(5000);
          s.setEnabledProtocols(new String[] {proto});
          s.startHandshake();
          System.out.println("TLS " + proto + " OK " + s.getSession().getProtocol());
        }
      } catch (Exception e) {
        System.out.println("TLS " + proto + " FAIL " + e.getClass().getSimpleName());
      }
    }
    System.out.println("TLS DONE");
    System.out.flush();
  }
}
