import { describe, expect, it } from "vitest";
import { modelRoundTrips, pageReferences } from "./page.ts";

describe("pageReferences", () => {
  const base = "http://www.someschool.edu/page/index.html";

  it("finds img/script src and link href, resolved against the page, each once, in page order", () => {
    const html = `<link rel=stylesheet href="/style.css"><img src="a.gif"><IMG SRC='b.gif' alt=x>
      <script src=/js/app.js?v=2></script><img alt="again" src="a.gif"><img src="../up.gif">`;
    expect(pageReferences(html, base)).toEqual({ objects: ["/style.css", "/page/a.gif", "/page/b.gif", "/js/app.js?v=2", "/up.gif"], skipped: [] });
  });

  it("skips other hosts, ports and schemes, and leaves out fragments and empty references", () => {
    const html = `<img src="http://cdn.example/x.gif"><img src="//www.someschool.edu:8080/y.gif"><img src="data:image/gif;base64,R0l">
      <img src=""><link rel=stylesheet href="#top"><img src="https://www.someschool.edu/z.gif"><img src="http://www.someschool.edu/ok.gif">`;
    const refs = pageReferences(html, base);
    expect(refs.objects).toEqual(["/ok.gif"]);
    expect(refs.skipped).toEqual(["http://cdn.example/x.gif", "http://www.someschool.edu:8080/y.gif", "data:image/gif;base64,R0l", "https://www.someschool.edu/z.gif"]);
  });

  it("reads src itself, not data-src or text inside another attribute, and only the links a browser fetches", () => {
    const html = `<img data-src="lazy.gif" src="real.gif"><img alt="src=x.gif" src="y.gif"><link rel=canonical href="/other.html"><link rel="shortcut icon" href="/favicon.ico">`;
    expect(pageReferences(html, base).objects).toEqual(["/page/real.gif", "/page/y.gif", "/favicon.ico"]);
  });

  it("ignores hrefs of anchors (a link is not fetched with the page) and decodes &amp;", () => {
    expect(pageReferences(`<a href="/next.html">next</a><img src="/i.gif?a=1&amp;b=2">`, base).objects).toEqual(["/i.gif?a=1&b=2"]);
  });

  it("finds the ten images of the lab's page", async () => {
    const { readFile } = await import("node:fs/promises");
    const html = await readFile(new URL("../../../../services/web-nginx/site/page/index.html", import.meta.url), "utf8");
    expect(pageReferences(html, base).objects).toEqual(Array.from({ length: 10 }, (_, i) => `/page/img${String(i + 1).padStart(2, "0")}.gif`));
  });
});

describe("modelRoundTrips", () => {
  it("is the slides' 2 RTT per object non-persistent, 2 + n persistent, 3 pipelined", () => {
    expect(modelRoundTrips("non-persistent", 10)).toBe(22);
    expect(modelRoundTrips("persistent", 10)).toBe(12);
    expect(modelRoundTrips("pipelined", 10)).toBe(3);
    expect(modelRoundTrips("pipelined", 0)).toBe(2);
    expect(modelRoundTrips("non-persistent", 0)).toBe(2);
  });
});
