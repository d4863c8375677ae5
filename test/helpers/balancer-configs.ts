// The README's HAProxy and nginx configurations ("Behind a load balancer"), with the ports filled in, for the
// balancer tests. Both connect to the backends from 127.0.0.2, so the client's 127.0.0.1 can only reach a
// handler through the PROXY header or X-Forwarded-For.

/** HAProxy: PROXY v2 to every backend, HTTP keep-alive both sides, and the retry lines a graceful stop needs. */
export function haproxyConfig(front: number, backs: readonly number[]): string {
  return `global
  maxconn 256

defaults
  mode http
  option http-keep-alive
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 30s
  # A stopping backend refuses new connections, and closes idle ones: try again, on another server.
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response

frontend web
  bind 127.0.0.1:${front}
  default_backend h1wire

backend h1wire
  # PROXY v2 names the client; keep-alive to the server is on by default in mode http.
${backs.map((port, i) => `  server app${i + 1} 127.0.0.1:${port} send-proxy-v2 source 127.0.0.2`).join('\n')}
`;
}

/** nginx (the README's http block; the rest runs it from `dir`): HTTP/1.1 upstream keepalive, X-Forwarded-*. */
export function nginxConfig(dir: string, front: number, backs: readonly number[]): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 128; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;

  upstream h1wire {
${backs.map((port) => `    server 127.0.0.1:${port};`).join('\n')}
    keepalive 16;                  # idle connections kept to the backends
  }
  server {
    listen 127.0.0.1:${front};
    location / {
      proxy_pass http://h1wire;
      proxy_http_version 1.1;        # keep-alive needs HTTP/1.1 upstream
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_bind 127.0.0.2;
    }
  }
}
`;
}
