// Windowed rendering of a long table: only the rows near the viewport are rendered (with spacer
// rows above and below), so a fleet of thousands renders as fast as a screenful. Short lists
// render whole. Rows are about ROW_HEIGHT pixels high (the CSS fixes it for windowed tables).
import { useEffect, useRef, useState } from "react";

export const ROW_HEIGHT = 49;
const WINDOW_FROM = 200;
const OVERSCAN = 15;

export function useRowWindow(count: number) {
  const body = useRef<HTMLTableSectionElement>(null);
  const [range, setRange] = useState({ start: 0, end: 60 });
  const windowed = count > WINDOW_FROM;
  useEffect(() => {
    if (!windowed) return;
    let frame = 0;
    const update = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        const element = body.current;
        if (!element) return;
        const top = element.getBoundingClientRect().top;
        const start = Math.max(0, Math.floor(-top / ROW_HEIGHT) - OVERSCAN);
        const end = Math.min(count, Math.ceil((window.innerHeight - top) / ROW_HEIGHT) + OVERSCAN);
        setRange((previous) => (previous.start === start && previous.end === end ? previous : { start, end }));
      });
    };
    update();
    window.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener("scroll", update);
      window.removeEventListener("resize", update);
    };
  }, [count, windowed]);
  return windowed ? { body, start: range.start, end: Math.min(range.end, count), windowed } : { body, start: 0, end: count, windowed };
}
