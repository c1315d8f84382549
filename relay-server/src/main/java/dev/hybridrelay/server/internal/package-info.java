/**
 * Implementation of the local relay (Netty pipelines, SAS validation, rendezvous, splicing).
 * Not API. Threading: every handler runs on its channel's event loop; cross-channel actions
 * (sender upgrade after an accept, forwarding frames) are handed to the other channel's loop by
 * Netty's channel methods or an explicit {@code execute}.
 */
package dev.hybridrelay.server.internal;
