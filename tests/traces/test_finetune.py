"""The generation -> OpenAI chat fine-tuning example converter, one shape at a time."""

import pytest

from apps.traces.finetune import assistant_message, finetune_example, input_messages

pytestmark = pytest.mark.core

CALL = {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Tokyo"}'}}


def test_chat_messages_and_a_string_output():
    example = finetune_example(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}], "Hello!"
    )
    assert example == {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
        ]
    }


def test_a_plain_prompt_becomes_a_user_message():
    assert finetune_example("What is 2+2?", "4")["messages"] == [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4"},
    ]


def test_messages_object_keeps_its_tools():
    tools = [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]
    example = finetune_example({"messages": [{"role": "user", "content": "Weather?"}], "tools": tools}, "Sunny")
    assert example["tools"] == tools
    assert example["messages"][0] == {"role": "user", "content": "Weather?"}


def test_openai_choices_output_with_tool_calls_and_tool_turns():
    conversation = [
        {"role": "developer", "content": "Use tools."},
        {"role": "user", "content": "Weather in Tokyo?"},
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"sky": "clear"}'},
    ]
    output = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Clear skies.", "refusal": None}}]}
    example = finetune_example(conversation, output)
    assert example["messages"] == [
        {"role": "system", "content": "Use tools."},
        {"role": "user", "content": "Weather in Tokyo?"},
        {"role": "assistant", "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"sky": "clear"}'},
        {"role": "assistant", "content": "Clear skies."},
    ]


def test_assistant_message_dict_output_that_only_calls_a_tool():
    assert assistant_message({"role": "assistant", "content": "", "tool_calls": [CALL]}) == {
        "role": "assistant",
        "tool_calls": [CALL],
    }


def test_single_message_input_and_one_element_list_output():
    example = finetune_example({"role": "user", "content": "Hi"}, [{"role": "assistant", "content": "Yo"}])
    assert example["messages"] == [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]


def test_content_parts_are_kept():
    parts = [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]
    assert input_messages([{"role": "user", "content": parts}]) == ([{"role": "user", "content": parts}], None)


def test_unknown_keys_are_dropped():
    example = finetune_example([{"role": "user", "content": "Hi", "id": "m1", "metadata": {}}], "Hey")
    assert example["messages"][0] == {"role": "user", "content": "Hi"}


@pytest.mark.parametrize(
    ("input_value", "output_value"),
    [
        (None, "answer"),  # no input
        ("question", None),  # no output
        ("", "answer"),  # empty prompt
        ("question", "   "),  # empty completion
        ({"query": "東京の天気は？"}, "answer"),  # a workflow's variables, not messages
        ([{"role": "user", "content": "Hi"}, "loose string"], "answer"),  # one item is not a message
        ([{"role": "wizard", "content": "Hi"}], "answer"),  # unknown role
        ([{"role": "user", "content": None}], "answer"),  # a user turn without content
        ("question", {"role": "user", "content": "not an answer"}),  # output is not the assistant's
        ("question", {"choices": []}),  # no choice
        ("question", 42),
        ({"messages": []}, "answer"),
    ],
)
def test_unconvertible_generations_are_skipped(input_value, output_value):
    assert finetune_example(input_value, output_value) is None


def test_inputs_as_the_otlp_mapping_stores_them():
    """OpenInference's wrapped messages, and a text prompt with its tools, are examples too."""
    wrapped = [{"message": {"role": "user", "content": "hi"}}]
    assert input_messages(wrapped) == ([{"role": "user", "content": "hi"}], None)
    tools = [{"name": "weather"}]
    assert input_messages({"prompt": "hi", "tools": tools}) == ([{"role": "user", "content": "hi"}], tools)
    assert input_messages({"prompt": " ", "tools": tools}) is None
