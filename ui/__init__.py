"""The Gradio front end, split so the logic runs without a browser.

- `ui.handlers`: module-level handlers `(services, session, *inputs) -> View`. No Gradio.
- `ui.presenters`: pure HTML/Markdown renderers (cards, cart, sources, profile).
- `ui.layout`: `build_demo(services, settings)` builds the `gr.Blocks` and maps each
  `View` to the components (the only module here that imports Gradio, inside the call).

Importing `ui` imports no Gradio and loads nothing.
"""
